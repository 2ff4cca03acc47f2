package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// maxStatusBody bounds what status reads from the control socket.
const maxStatusBody = 16 << 20

func statusUsage(w io.Writer) {
	fmt.Fprint(w, `usage: veil status [--json] [--datadir=DIR | --conf=FILE] [options]

Asks the router running on the data folder (through <datadir>/veil.sock)
for its state and prints it; --json prints one JSON object (see README,
"veil status"). The data folder is found as the router finds it: --datadir,
else datadir in --conf, else the default.
`)
}

// runStatus implements `veil status`.
func runStatus(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	var rest []string
	for _, a := range args {
		switch a {
		case "--json", "-json":
			asJSON = true
		default:
			rest = append(rest, a)
		}
	}
	opts, err := config.Load(rest, nil)
	switch {
	case errors.Is(err, config.ErrHelp):
		statusUsage(stdout)
		return 0
	case errors.Is(err, config.ErrVersion):
		fmt.Fprintf(stdout, "veil %s (I2P API %s)\n", version, router.RouterVersion)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "veil status: %v\n", err)
		return 2
	}
	sock := filepath.Join(opts.DataDir, router.ControlFile)
	raw, err := fetchStatus(sock)
	if err != nil {
		fmt.Fprintf(stderr, "veil status: %v\n", err)
		return 1
	}
	if asJSON {
		stdout.Write(raw)
		if !bytes.HasSuffix(raw, []byte("\n")) {
			fmt.Fprintln(stdout)
		}
		return 0
	}
	var st router.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		fmt.Fprintf(stderr, "veil status: %s: %v\n", sock, err)
		return 1
	}
	writeStatus(stdout, &st)
	return 0
}

// fetchStatus GETs /status over the control socket.
func fetchStatus(sock string) ([]byte, error) {
	if _, err := os.Lstat(sock); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no router running on this data folder (no %s)", sock)
	}
	c := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://veil/status")
	if err != nil {
		return nil, fmt.Errorf("router not answering on %s: %w", sock, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBody))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sock, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", sock, resp.Status)
	}
	return body, nil
}

// writeStatus prints st for a person, in the manner of `wg show`.
func writeStatus(w io.Writer, st *router.Status) {
	r := st.Router
	fmt.Fprintf(w, "router: %s\n", r.Hash)
	fmt.Fprintf(w, "  netid: %d\n", r.NetID)
	fmt.Fprintf(w, "  version: %s\n", r.Version)
	fmt.Fprintf(w, "  caps: %s\n", r.Caps)
	fmt.Fprintf(w, "  uptime: %s\n", duration(r.Uptime))
	fmt.Fprintf(w, "  reachability: %s\n", r.Reachability)
	fmt.Fprintf(w, "  netdb: %d routers, %d floodfills, %d leasesets\n", st.NetDB.Routers, st.NetDB.Floodfills, st.NetDB.LeaseSets)
	writeNetDB(w, &st.NetDB)
	tun := fmt.Sprintf("%d inbound, %d outbound, %d transit", len(st.Tunnels.Inbound), len(st.Tunnels.Outbound), st.Tunnels.Transit)
	if st.Tunnels.BuildSuccess != nil {
		tun += fmt.Sprintf(", %.0f%% builds succeed", *st.Tunnels.BuildSuccess*100)
	}
	fmt.Fprintf(w, "  tunnels: %s\n", tun)
	if c := st.Tunnels.TransitCounters; c != nil {
		fmt.Fprintf(w, "  transit: %d requests (%d accepted, %d refused, %d dropped), %d tunnel messages in, %d out\n",
			c.Requests, c.Accepted, c.Rejected, c.Dropped, c.DataIn, c.DataOut)
	}
	for _, t := range st.Tunnels.Inbound {
		fmt.Fprintf(w, "  inbound %s: %s (%s)\n", t.Pool, hopList(t.Peers), t.State)
	}
	for _, t := range st.Tunnels.Outbound {
		fmt.Fprintf(w, "  outbound %s: %s (%s)\n", t.Pool, hopList(t.Peers), t.State)
	}
	for _, d := range st.Destinations {
		pub := "not published yet"
		if d.Leases > 0 {
			pub = fmt.Sprintf("%d leases, published %s", d.Leases, d.Published)
		}
		fmt.Fprintf(w, "\ndestination: %s (%s)\n  leaseset: %s\n", d.Address, d.Name, pub)
		if d.B33 != "" {
			fmt.Fprintf(w, "  encrypted leaseset, b33: %s\n", d.B33)
		}
	}
	for _, t := range st.TCPTunnels {
		fmt.Fprintf(w, "\ntunnel: %s (%s)\n  listen: %s\n  destination: %s\n  streams: %d open, %d refused\n",
			t.Name, t.Type, t.Listen, t.Destination, t.Streams, t.Refused)
	}
	if ab := st.AddressBook; ab != nil {
		fmt.Fprintf(w, "\naddressbook: %d private names, %d from subscriptions\n", ab.Private, ab.Router)
		for _, sub := range ab.Subscriptions {
			last := "not fetched yet"
			if !sub.LastFetched.IsZero() {
				last = "fetched " + sub.LastFetched.Format(time.RFC3339)
			}
			if sub.LastError != "" {
				last += ", failed: " + sub.LastError
			}
			fmt.Fprintf(w, "  subscription: %s (%s)\n", sub.URL, last)
		}
	}
	for _, s := range st.Transports {
		fmt.Fprintf(w, "\npeer: %s\n", s.Peer)
		fmt.Fprintf(w, "  transport: %s (%s)\n", s.Transport, s.Direction)
		fmt.Fprintf(w, "  address: %s\n", s.Address)
		fmt.Fprintf(w, "  transfer: %s received, %s sent\n", bytesText(s.BytesIn), bytesText(s.BytesOut))
	}
}

// hopList shows hops by the first 4 characters of their hash, as i2pd's
// console does, or "zero-hop".
func hopList(peers []string) string {
	if len(peers) == 0 {
		return "zero-hop"
	}
	short := make([]string, len(peers))
	for i, p := range peers {
		short[i] = p[:min(4, len(p))]
	}
	return strings.Join(short, " → ")
}

// duration spells seconds as wg does: "1 hour, 2 minutes, 3 seconds".
func duration(sec int64) string {
	if sec <= 0 {
		return "0 seconds"
	}
	var parts []string
	for _, u := range []struct {
		n    int64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}} {
		if v := sec / u.n; v > 0 {
			sec -= v * u.n
			s := fmt.Sprintf("%d %s", v, u.name)
			if v != 1 {
				s += "s"
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// bytesText spells a byte count as wg does: "1.50 KiB".
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.2f %ciB", v, "KMGTP"[i])
}
