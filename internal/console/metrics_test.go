package console

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// promParse checks text against the Prometheus text format 0.0.4 and
// returns its series ("name{labels}" → value). It is strict where the
// format is: metric and label names, label value escapes, HELP and TYPE
// before a family's samples, a family in one block, no series twice,
// counters named *_total.
func promParse(text string) (map[string]float64, error) {
	nameRE := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE := regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	series := map[string]float64{}
	types := map[string]string{}
	done := map[string]bool{}
	current := ""
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("no final line break")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(f string, a ...any) error { return fmt.Errorf("line %d %q: %s", i+1, line, fmt.Sprintf(f, a...)) }
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 4 || (f[1] != "HELP" && f[1] != "TYPE") || !nameRE.MatchString(f[2]) {
				return nil, fail("bad comment")
			}
			if f[2] != current {
				if done[f[2]] {
					return nil, fail("family %s split", f[2])
				}
				done[current], current = true, f[2]
			}
			if f[1] == "TYPE" {
				switch f[3] {
				case "counter", "gauge", "untyped", "histogram", "summary":
				default:
					return nil, fail("type %s", f[3])
				}
				if f[3] == "counter" && !strings.HasSuffix(f[2], "_total") {
					return nil, fail("counter not named _total")
				}
				types[f[2]] = f[3]
			}
			continue
		}
		name, rest := line, ""
		if j := strings.IndexAny(line, "{ "); j >= 0 {
			name, rest = line[:j], line[j:]
		}
		if !nameRE.MatchString(name) || name != current || types[name] == "" {
			return nil, fail("sample outside its family (%s)", current)
		}
		key := name
		if strings.HasPrefix(rest, "{") {
			var labels []string
			k := 1
			for rest[k] != '}' {
				eq := strings.IndexByte(rest[k:], '=')
				if eq < 0 || !labelRE.MatchString(rest[k:k+eq]) || k+eq+1 >= len(rest) || rest[k+eq+1] != '"' {
					return nil, fail("bad label at %d", k)
				}
				ln := rest[k : k+eq]
				k += eq + 2
				var v strings.Builder
				for ; k < len(rest) && rest[k] != '"'; k++ {
					if rest[k] == '\\' {
						k++
						if k >= len(rest) || !strings.ContainsRune(`\"n`, rune(rest[k])) {
							return nil, fail("bad escape")
						}
						if rest[k] == 'n' {
							v.WriteByte('\n')
							continue
						}
					}
					v.WriteByte(rest[k])
				}
				if k >= len(rest) {
					return nil, fail("unterminated label value")
				}
				labels = append(labels, ln+"="+strconv.Quote(v.String()))
				k++
				if k < len(rest) && rest[k] == ',' {
					k++
				}
				if k >= len(rest) {
					return nil, fail("unterminated labels")
				}
			}
			key += "{" + strings.Join(labels, ",") + "}"
			rest = rest[k+1:]
		}
		if !strings.HasPrefix(rest, " ") {
			return nil, fail("no value")
		}
		v, err := strconv.ParseFloat(strings.TrimPrefix(rest, " "), 64)
		if err != nil {
			return nil, fail("value: %v", err)
		}
		if _, dup := series[key]; dup {
			return nil, fail("series twice")
		}
		series[key] = v
	}
	return series, nil
}

func TestMetrics(t *testing.T) {
	f := &fakeRouter{}
	srv := httptest.NewServer(MetricsHandler(f, MetricsHosts("127.0.0.1:7071")))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	series, err := promParse(string(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	for k, want := range map[string]float64{
		`veil_bandwidth_bytes_total{direction="in"}`:           123456,
		`veil_peers_active`:                                    3,
		`veil_netdb_routers`:                                   7,
		`veil_network_status{status="ok"}`:                     1,
		`veil_tunnel_build_success_ratio`:                      0.75,
		`veil_tunnels{pool="exploratory",direction="inbound"}`: 1,
		`veil_tunnels{pool="client",direction="outbound"}`:     1,
		`veil_transit_tunnels`:                                 2,
		`veil_netdb_events_total{event="lookups"}`:             5,
		`veil_streams_open`:                                    1,
		`veil_bootstrap_stage_done{stage="First tunnels"}`:     0,
		`veil_garlic_messages_total{destination="<script>alert(1)</script>",direction="sent",kind="ES \"x\"\n"}`: 4,
	} {
		if got, ok := series[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	// promtool, when there is one (Debian's prometheus package, or
	// VEIL_PROMTOOL=path), must accept the output too.
	promtool := os.Getenv("VEIL_PROMTOOL")
	if promtool == "" {
		promtool, _ = exec.LookPath("promtool")
	}
	if promtool != "" {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Host = "evil.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("foreign Host: %v %v", resp.StatusCode, err)
	}
}

func TestPromParseRejects(t *testing.T) {
	for _, bad := range []string{
		"x 1",                              // no TYPE
		"# TYPE x gauge\nx{a=\"b} 1\n",     // unterminated
		"# TYPE x gauge\nx 1\nx 2\n",       // twice
		"# TYPE x counter\nx 1\n",          // counter name
		"# TYPE x gauge\nx{a=\"\\q\"} 1\n", // escape
		"# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n", // split
		"# TYPE x gauge\nx one\n",
	} {
		if _, err := promParse(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestMetricsHosts(t *testing.T) {
	for addr, checked := range map[string]bool{"127.0.0.1:7071": true, "[::1]:7071": true, "localhost:7071": true,
		"0.0.0.0:7071": false, "192.0.2.1:7071": false, "[::]:7071": false, "metrics.lan:7071": false} {
		if got := MetricsHosts(addr) != nil; got != checked {
			t.Errorf("%s: Host checked %v, want %v", addr, got, checked)
		}
	}
}
