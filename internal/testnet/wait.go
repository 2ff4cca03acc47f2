package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/router"
)

// Stage is one step of a network's bootstrap, in order.
type Stage int

const (
	StageRouters     Stage = iota // every router runs and has a peer
	StageNetDB                    // every router knows every other (reseeded)
	StageTunnels                  // every router has exploratory tunnels both ways
	StagePublished                // the eepsite's LeaseSet is stored at a floodfill, the proxy has tunnels
	StageFetched                  // the eepsite answered through the HTTP proxy
	StageFetchedI2pd              // and through an i2pd router's HTTP proxy (Config.I2pd)
	stages
)

var stageNames = [stages]string{"routers up", "netDb filled", "tunnels built", "eepsite published", "eepsite fetched", "fetched via i2pd"}

func (s Stage) String() string {
	if s < 0 || s >= stages {
		return "stage " + fmt.Sprint(int(s))
	}
	return stageNames[s]
}

// Progress reports a stage: Done of Of (routers, or 0/1), and whether
// the stage is complete.
type Progress struct {
	Stage    Stage
	Done, Of int
	Complete bool
	Elapsed  time.Duration // since Wait began
}

// pollEvery is how often Wait looks at the routers.
const pollEvery = 250 * time.Millisecond

// Wait follows the bootstrap, calling report (if not nil) whenever a
// count changes, until the eepsite answered through the proxy (with no
// proxy, until it is published) and through an i2pd router's proxy (in a
// mixed network), ctx ends, a router fails, or a stage takes longer than
// maxWait.
func (n *Network) Wait(ctx context.Context, report func(Progress)) error {
	start := time.Now()
	last := Progress{Stage: -1}
	tell := func(p Progress) {
		p.Elapsed = time.Since(start)
		if report != nil && (p.Stage != last.Stage || p.Done != last.Done || p.Complete != last.Complete) {
			report(p)
		}
		last = p
	}
	run := []Stage{StageRouters, StageNetDB, StageTunnels, StagePublished}
	if n.proxyAddr != "" {
		run = append(run, StageFetched)
	}
	if n.i2pd != nil {
		run = append(run, StageFetchedI2pd)
	}
	for _, stage := range run {
		deadline := time.Now().Add(maxWait)
		for {
			var p Progress
			var err error
			switch stage {
			case StageFetched:
				p, err = n.fetchOnce(ctx, stage, n.proxyAddr)
			case StageFetchedI2pd:
				p, err = n.fetchOnce(ctx, stage, n.i2pd.proxies[0])
			default:
				p = n.check(stage)
			}
			tell(p)
			if p.Complete {
				break
			}
			if err := n.Err(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				if err == nil {
					err = fmt.Errorf("%d of %d after %v", p.Done, p.Of, maxWait)
				}
				return fmt.Errorf("testnet: %s: %w", stage, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pollEvery):
			}
		}
	}
	return nil
}

// check measures a stage from the routers' status.
func (n *Network) check(stage Stage) Progress {
	p := Progress{Stage: stage, Of: len(n.routers)}
	if stage == StagePublished {
		p.Of = 2
		if n.proxyAddr == "" {
			p.Of = 1
		}
	}
	for i, r := range n.routers {
		st := r.Status()
		switch stage {
		case StageRouters:
			if len(st.Transports) > 0 {
				p.Done++
			}
		case StageNetDB:
			if st.NetDB.Routers >= len(n.routers)-1 {
				p.Done++
			}
		case StageTunnels:
			if established(st.Tunnels.Inbound, "exploratory") > 0 && established(st.Tunnels.Outbound, "exploratory") > 0 {
				p.Done++
			}
		case StagePublished:
			for _, d := range st.Destinations {
				switch {
				case i == len(n.routers)-1 && d.Name == siteName && d.Stores > 0:
					p.Done++
				case i == 0 && d.Name == "httpproxy" && d.Leases > 0:
					p.Done++
				}
			}
		}
	}
	p.Complete = p.Done >= p.Of
	return p
}

// established counts the established tunnels of pool in ts.
func established(ts []router.TunnelStatus, pool string) int {
	n := 0
	for _, t := range ts {
		if (pool == "" || t.Pool == pool) && t.State == "established" {
			n++
		}
	}
	return n
}

// fetchOnce asks for the eepsite through proxy once.
func (n *Network) fetchOnce(ctx context.Context, stage Stage, proxy string) (Progress, error) {
	p := Progress{Stage: stage, Of: 1}
	if proxy == "" {
		return p, errors.New("testnet: no HTTP proxy")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := n.FetchVia(ctx, proxy, "/")
	if err == nil && strings.Contains(body, n.site.b32) {
		p.Done, p.Complete = 1, true
	}
	return p, err
}

// Fetch GETs path from the eepsite through router 0's HTTP proxy, as
// `curl -x` would, and returns the body.
func (n *Network) Fetch(ctx context.Context, path string) (string, error) {
	if n.proxyAddr == "" {
		return "", errors.New("testnet: no HTTP proxy")
	}
	return n.FetchVia(ctx, n.proxyAddr, path)
}

// FetchVia GETs path from the eepsite through the HTTP proxy at proxy
// (host:port).
func (n *Network) FetchVia(ctx context.Context, proxy, path string) (string, error) {
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxy})}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.site.b32+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("testnet: GET %s: %s", req.URL, resp.Status)
	}
	return string(b), nil
}

// Summary is the network at a glance.
type Summary struct {
	Routers      int     // routers running
	Sessions     int     // transport sessions, all routers (each link counted at both ends)
	KnownMin     int     // fewest RouterInfos a router knows
	Tunnels      int     // own established tunnels, all routers
	Transit      int     // transit tunnels carried, all routers
	BuildSuccess float64 // builds that succeeded, all routers, last 10 minutes (-1: none yet)
	LeaseSets    int     // LeaseSets stored at the floodfills
	TransitMsgs  uint64  // tunnel messages relayed, all routers, since start
	SiteHits     uint64  // requests the eepsite answered
}

// Summary adds up the routers' status.
func (n *Network) Summary() Summary {
	s := Summary{KnownMin: -1, BuildSuccess: -1, SiteHits: n.SiteHits()}
	var ok, all float64
	for _, r := range n.routers {
		st := r.Status()
		if st.Router.Uptime > 0 || len(st.Transports) > 0 {
			s.Routers++
		}
		s.Sessions += len(st.Transports)
		if s.KnownMin < 0 || st.NetDB.Routers < s.KnownMin {
			s.KnownMin = st.NetDB.Routers
		}
		s.Tunnels += established(st.Tunnels.Inbound, "") + established(st.Tunnels.Outbound, "")
		s.Transit += st.Tunnels.Transit
		if st.NetDB.Floodfill {
			s.LeaseSets += st.NetDB.LeaseSets
		}
		if st.Tunnels.BuildSuccess != nil {
			ok += *st.Tunnels.BuildSuccess * float64(st.Tunnels.Builds)
			all += float64(st.Tunnels.Builds)
		}
		if c := st.Tunnels.TransitCounters; c != nil {
			s.TransitMsgs += c.DataOut
		}
	}
	if all > 0 {
		s.BuildSuccess = ok / all
	}
	return s
}
