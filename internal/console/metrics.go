package console

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The metrics endpoint (metrics.enabled, 127.0.0.1:7071 by default) serves
// the router's counters and gauges in Prometheus' text exposition format
// (version 0.0.4), written by hand: a handful of families needs no
// client library. Series carry the label values the router knows
// (destination names, garlic kinds), escaped as the format requires.

// MetricsHandler serves GET /metrics for rt. With hosts non-nil, the
// Host header must be one of them (against DNS rebinding: the metrics
// name local destinations).
func MetricsHandler(rt Router, hosts map[string]bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, req *http.Request) {
		if hosts != nil && !hosts[hostOf(req.Host)] {
			http.Error(w, "metrics: Host header not allowed", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write([]byte(Metrics(rt.Snapshot(), rt.History())))
	})
	return mux
}

// MetricsHosts are the Host names the metrics endpoint at address
// answers to; nil (any) when it listens beyond loopback, where a
// Prometheus server elsewhere scrapes it by whatever name it has.
func MetricsHosts(address string) map[string]bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsLoopback() || err != nil && host != "localhost" {
		return nil
	}
	return allowedHosts(&Config{Address: address})
}

// promWriter writes metric families; each family's samples follow its
// HELP and TYPE lines.
type promWriter struct {
	b strings.Builder
}

func (p *promWriter) family(name, typ, help string) {
	fmt.Fprintf(&p.b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// sample writes one series; labels are name, value pairs.
func (p *promWriter) sample(name string, v float64, labels ...string) {
	p.b.WriteString(name)
	if len(labels) > 0 {
		p.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				p.b.WriteByte(',')
			}
			p.b.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
		}
		p.b.WriteByte('}')
	}
	p.b.WriteByte(' ')
	p.b.WriteString(formatValue(v))
	p.b.WriteByte('\n')
}

// one writes a family with a single unlabelled series.
func (p *promWriter) one(name, typ, help string, v float64) {
	p.family(name, typ, help)
	p.sample(name, v)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Metrics renders a snapshot in the text format.
func Metrics(s Snapshot, h []Sample) string {
	var p promWriter
	o := s.Overview
	p.one("veil_uptime_seconds", "gauge", "Seconds since the router started.", o.Uptime.Seconds())
	p.family("veil_network_status", "gauge", "1 for the router's reachability (ok, firewalled, unknown).")
	for _, st := range []string{"ok", "firewalled", "unknown"} {
		p.sample("veil_network_status", b2f(o.Status == st), "status", st)
	}
	p.family("veil_bandwidth_bytes_total", "counter", "Bytes through transport sessions since start.")
	p.sample("veil_bandwidth_bytes_total", float64(o.BytesIn), "direction", "in")
	p.sample("veil_bandwidth_bytes_total", float64(o.BytesOut), "direction", "out")
	in, out := Average(h, 3)
	p.family("veil_bandwidth_bytes_per_second", "gauge", "Transport bandwidth over the last 15 seconds.")
	p.sample("veil_bandwidth_bytes_per_second", in, "direction", "in")
	p.sample("veil_bandwidth_bytes_per_second", out, "direction", "out")
	p.one("veil_peers_active", "gauge", "Transport sessions open.", float64(o.PeersActive))

	n := s.NetDB
	p.one("veil_netdb_routers", "gauge", "RouterInfos in the netDb.", float64(n.Routers))
	p.one("veil_netdb_floodfills", "gauge", "Floodfills in the netDb.", float64(n.Floodfills))
	p.one("veil_netdb_leasesets", "gauge", "LeaseSets in the netDb.", float64(n.LeaseSets))
	p.one("veil_netdb_floodfill", "gauge", "1 when the router acts as a floodfill.", b2f(n.Floodfill))
	if len(n.Counters) > 0 {
		p.family("veil_netdb_events_total", "counter", "NetDb work since start, by event (as in veil status).")
		for _, c := range n.Counters {
			p.sample("veil_netdb_events_total", float64(c.Value), "event", c.Name)
		}
	}

	t := s.Tunnels
	p.family("veil_tunnels", "gauge", "Our tunnels now, by pool kind and direction.")
	for _, kind := range []struct {
		name string
		list []Tunnel
	}{{"exploratory", t.Exploratory}, {"client", t.Client}} {
		for _, dir := range []string{"inbound", "outbound"} {
			c := 0
			for _, x := range kind.list {
				if x.Direction == dir {
					c++
				}
			}
			p.sample("veil_tunnels", float64(c), "pool", kind.name, "direction", dir)
		}
	}
	if o.BuildSuccess != nil {
		p.one("veil_tunnel_build_success_ratio", "gauge", "Share of tunnel builds that succeeded in the last 10 minutes.", *o.BuildSuccess)
	}
	p.family("veil_tunnel_builds_total", "counter", "Tunnel builds finished since start, by result.")
	p.sample("veil_tunnel_builds_total", float64(t.BuiltOK), "result", "ok")
	p.sample("veil_tunnel_builds_total", float64(t.BuildsFailed), "result", "failed")
	p.one("veil_tunnel_builds_pending", "gauge", "Tunnel builds waiting for their reply.", float64(t.Pending))
	p.family("veil_tunnel_tests_total", "counter", "Tunnel tests since start, by result.")
	p.sample("veil_tunnel_tests_total", float64(t.TestsOK), "result", "ok")
	p.sample("veil_tunnel_tests_total", float64(t.TestsFailed), "result", "failed")

	p.one("veil_transit_tunnels", "gauge", "Transit tunnels carried now.", float64(o.Transit))
	p.family("veil_transit_requests_total", "counter", "Transit build requests since start, by outcome.")
	p.sample("veil_transit_requests_total", float64(t.Accepted), "result", "accepted")
	p.sample("veil_transit_requests_total", float64(t.Rejected), "result", "rejected")
	p.sample("veil_transit_requests_total", float64(t.Dropped), "result", "dropped")
	p.family("veil_transit_messages_total", "counter", "Tunnel messages on transit tunnels since start.")
	p.sample("veil_transit_messages_total", float64(t.DataIn), "direction", "in")
	p.sample("veil_transit_messages_total", float64(t.DataOut), "direction", "out")

	p.one("veil_streams_open", "gauge", "Streams open, all local destinations.", float64(o.Streams))
	p.family("veil_destination_messages_total", "counter", "End-to-end messages of each local destination.")
	for _, d := range s.Destinations {
		p.sample("veil_destination_messages_total", float64(d.Sent), "destination", d.Name, "direction", "sent")
		p.sample("veil_destination_messages_total", float64(d.Received), "destination", d.Name, "direction", "received")
	}
	p.family("veil_garlic_messages_total", "counter", "Garlic messages of each local destination, by kind (NS, NSR, ES, ElGamal NS, ...).")
	for _, d := range s.Destinations {
		for _, g := range []struct {
			dir string
			m   map[string]uint64
		}{{"sent", d.GarlicSent}, {"received", d.GarlicReceived}} {
			kinds := make([]string, 0, len(g.m))
			for k := range g.m {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			for _, k := range kinds {
				p.sample("veil_garlic_messages_total", float64(g.m[k]), "destination", d.Name, "direction", g.dir, "kind", k)
			}
		}
	}
	if sam := s.SAM; sam != nil {
		p.one("veil_sam_sessions", "gauge", "SAM sessions open.", float64(sam.ActiveSessions))
		p.one("veil_sam_clients", "gauge", "SAM client connections open.", float64(sam.ActiveConns))
		p.one("veil_sam_streams_total", "counter", "Streams SAM clients opened or accepted since start.", float64(sam.Streams))
		p.family("veil_sam_datagrams_total", "counter", "SAM datagrams since start.")
		p.sample("veil_sam_datagrams_total", float64(sam.DatagramsSent), "direction", "sent")
		p.sample("veil_sam_datagrams_total", float64(sam.DatagramsReceived), "direction", "received")
		p.sample("veil_sam_datagrams_total", float64(sam.Dropped), "direction", "dropped")
	}
	p.family("veil_bootstrap_stage_done", "gauge", "1 for each start stage done (reseed, netdb, first tunnels, leasesets).")
	for _, st := range s.Bootstrap {
		p.sample("veil_bootstrap_stage_done", b2f(st.Done), "stage", st.Name)
	}
	return p.b.String()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
