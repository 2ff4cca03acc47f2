package router

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
)

// chromium finds Debian's headless-capable browser. The test skips
// without it, unless VEIL_REQUIRE_I2PD=1 or CI (where ./test installs it)
// says it must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VEIL_REQUIRE_I2PD") == "1" || os.Getenv("CI") != "" {
		t.Fatal("chromium not installed (apt-get install chromium; ./test installs it as root)")
	}
	t.Skip("chromium not installed")
	return ""
}

// browser starts a headless chromium with a fresh profile; it stops
// with the test.
func browser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	// The first run on a context starts the browser, which lives as long
	// as that context: start it here, not under a step's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// step runs browser actions with a bound on their time.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("browser: %s: %v", js, err)
	}
	return v
}

// serveConsole serves the console of v on a free loopback port until
// the test ends, and samples v's bandwidth.
func serveConsole(t *testing.T, v *ConsoleView) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	srv, err := console.New(console.Config{Address: "127.0.0.1:7070", StrictHeaders: true}, v)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { v.Run(ctx) })
	wg.Go(func() {
		if err := srv.Serve(ctx, ln); err != nil {
			t.Errorf("console: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/"
}

// TestConsoleBrowser drives the console of a router in a three-router
// network with headless chromium: the overview loads and its numbers
// change without a reload; the bootstrap bar reaches done, and on a fourth
// router that joins while its overview is open, advances from 0 to done
// without a reload; an http server
// tunnel made with the console's form serves a web site through another
// router's HTTP proxy, stops when stopped from the console and serves
// again when started; the addressbook form names it; a setting
// changed through the configuration form is written to the config file
// and shown again by the console of a router started from that file.
// With VEIL_CONSOLE_SCREENSHOTS=DIR it saves PNGs of the main pages there
// (the README's come from docs/).
func TestConsoleBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("three routers and a browser")
	}
	chrome := chromium(t)
	hits := make(chan string, 16)
	web, _ := testWebSite(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case hits <- r.RequestURI:
		default:
		}
		w.Write([]byte("<h1>made in the console</h1>"))
	})
	short := PoolShape{InboundLength: 1, OutboundLength: 1, InboundQuantity: 2, OutboundQuantity: 2}
	rs, dirs := startVeilNet(t, 3, func(i int, cfg *Config) {
		switch i {
		case 0:
			cfg.Destinations = []DestinationConfig{{Name: "web", Pool: short}}
			cfg.AddressBook = &AddressBookConfig{}
		case 1:
			cfg.Destinations = []DestinationConfig{{Name: "httpproxy", Pool: short,
				HTTPProxy: &i2ptunnel.HTTPProxyConfig{Name: "httpproxy", Port: 0}}}
		}
	})
	conf, tunconf := filepath.Join(dirs[0], "i2pd.conf"), filepath.Join(dirs[0], "tunnels.conf")
	if err := os.WriteFile(conf, []byte("# my router\nloglevel = info\n\n[http]\nport = 7070\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	view := rs[0].ConsoleView(ConsoleOptions{ConfFile: conf, TunnelsFile: tunconf, Settings: console.Settings{Share: 100},
		Shutdown: func() {}, Restart: func() {}}) // as the veil command has them (never clicked here)
	base := serveConsole(t, view)
	ctx := browser(t, chrome)
	shots := os.Getenv("VEIL_CONSOLE_SCREENSHOTS")
	shot := func(name string) {
		if shots == "" {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "console-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The overview loads; its numbers change while it stays open (the
	// script refreshes them every 5 s).
	step(t, ctx, "overview", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`[data-field="uptime"]`)))
	up0 := eval[string](t, ctx, `document.querySelector('[data-field="uptime"]').textContent`)
	if got := eval[string](t, ctx, `document.title`); got != "veil — Overview" {
		t.Errorf("title %q", got)
	}
	changed := false
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end) && !changed; time.Sleep(time.Second) {
		changed = eval[string](t, ctx, `document.querySelector('[data-field="uptime"]').textContent`) != up0
	}
	if !changed {
		t.Errorf("the overview's uptime stayed %q for 20 s", up0)
	}
	if w := eval[float64](t, ctx, `document.getElementById('graph').naturalWidth`); w == 0 {
		t.Error("the bandwidth graph did not load")
	}

	// The bootstrap bar reaches done (the destination's LeaseSet is
	// published shortly after the exploratory tunnels are up).
	done := false
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && !done; time.Sleep(2 * time.Second) {
		step(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("bootstrap")))
		done = eval[bool](t, ctx, `document.getElementById('bootstrap-done') !== null && document.getElementById('bootstrap').value === 100`)
	}
	if !done {
		t.Fatalf("bootstrap not done after 60 s: %s", eval[string](t, ctx, `document.querySelector('.bootstrap').innerText`))
	}
	// A router joining the network: its overview, open before it runs,
	// shows the bar advance from nothing to done without a reload.
	late := t.TempDir()
	lcfg := loopbackConfig(t, late)
	lcfg.Exploratory = PoolShape{InboundLength: 1, OutboundLength: 1, InboundQuantity: 1, OutboundQuantity: 1}
	rl, err := New(lcfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := rl.Start(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		seed(t, d, late)
	}
	lateBase := serveConsole(t, rl.ConsoleView(ConsoleOptions{Shutdown: func() {}}))
	step(t, ctx, "late router's overview", chromedp.Navigate(lateBase), chromedp.WaitVisible(chromedp.ID("bootstrap")))
	seen := map[float64]bool{eval[float64](t, ctx, `document.getElementById('bootstrap').value`): true}
	running(t, rl)
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && !seen[100]; time.Sleep(time.Second) {
		seen[eval[float64](t, ctx, `document.getElementById('bootstrap').value`)] = true
	}
	if !seen[0] || !seen[100] {
		t.Errorf("the late router's bar went through %v, want 0 first and 100 at last", seen)
	}
	t.Logf("the late router's bar went through %v (percent)", seen)

	if shots != "" {
		time.Sleep(11 * time.Second) // a few bandwidth samples for the graph
	}
	step(t, ctx, "overview again", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("bootstrap-done")))
	shot("overview")

	// A new http server tunnel made with the form serves the web site
	// through router 1's HTTP proxy; stopped from the console, it stops;
	// started again, it serves again at the same address.
	step(t, ctx, "new tunnel", chromedp.Navigate(base+"i2ptunnels"), chromedp.WaitVisible(chromedp.ID("new-tunnel")),
		chromedp.SetValue(chromedp.ID("tunnel-name"), "site"), chromedp.SetValue(chromedp.ID("tunnel-type"), "http"),
		chromedp.SetValue(chromedp.ID("tunnel-port"), strconv.Itoa(web)), chromedp.SetValue(chromedp.ID("tunnel-hops"), "1"),
		chromedp.Click(chromedp.ID("tunnel-save")), chromedp.WaitVisible(chromedp.ID("tunnel-msg")))
	if b, _ := os.ReadFile(tunconf); !strings.Contains(string(b), "[site]\ntype = http\nhost = 127.0.0.1\nport = "+strconv.Itoa(web)+"\nkeys = site.dat\n") {
		t.Errorf("tunnels.conf:\n%s", b)
	}
	site := eval[string](t, ctx, `document.querySelector('tr[data-tunnel="site"] td:nth-child(4) code').title`)
	if !strings.HasSuffix(site, ".b32.i2p") {
		t.Fatalf("the new tunnel's address: %q", site)
	}
	proxy := waitStatusFor(t, dirs[1], "proxy up", 30*time.Second, func(st Status) bool { return len(st.TCPTunnels) == 1 }).TCPTunnels[0].Listen
	fetch := func(timeout time.Duration) (int, string, error) {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxy})}}
		defer c.CloseIdleConnections()
		resp, err := c.Get("http://" + site + "/hello")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	served := func(what string) {
		t.Helper()
		for try := 0; try < 10; try++ { // its LeaseSet must first reach the floodfills
			code, body, err := fetch(20 * time.Second)
			if err == nil && code == 200 && strings.Contains(body, "made in the console") {
				return
			}
			t.Logf("%s: GET through the proxy: %d %v", what, code, err)
			time.Sleep(2 * time.Second)
		}
		t.Fatalf("%s: the site never answered through the proxy", what)
	}
	served("new tunnel")
	step(t, ctx, "i2ptunnels page", chromedp.Navigate(base+"i2ptunnels"), chromedp.WaitVisible(chromedp.ID("stop-site")))
	shot("i2ptunnels")
	step(t, ctx, "stop tunnel", chromedp.Click(chromedp.ID("stop-site")), chromedp.WaitVisible(chromedp.ID("start-site")))
	for len(hits) > 0 {
		<-hits
	}
	if code, _, err := fetch(8 * time.Second); err == nil && code == 200 {
		t.Error("the stopped tunnel still served the site")
	}
	if len(hits) > 0 {
		t.Error("a request reached the web site through the stopped tunnel")
	}
	step(t, ctx, "start tunnel", chromedp.Click(chromedp.ID("start-site")), chromedp.WaitVisible(chromedp.ID("stop-site")))
	served("started again")

	// The addressbook form names the new site.
	keys, err := rs[0].LoadKeys("site.dat")
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "addressbook", chromedp.Navigate(base+"addressbook"), chromedp.WaitVisible(chromedp.ID("book-add")),
		chromedp.SetValue(chromedp.ID("book-name"), "site.i2p"), chromedp.SetValue(chromedp.ID("book-dest"), data.EncodeBase64(keys.Identity.Bytes())),
		chromedp.Click(chromedp.ID("book-save")), chromedp.WaitVisible(chromedp.ID("book-msg")))
	if got := eval[string](t, ctx, `document.querySelector('tr[data-name="site.i2p"] code').textContent`); got != site {
		t.Errorf("addressbook row: %q, want %s", got, site)
	}
	shot("addressbook")

	for _, p := range []string{"peers", "tunnels", "destinations"} {
		step(t, ctx, p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shot(p)
		if p == "peers" && !eval[bool](t, ctx, `[...document.querySelectorAll('tbody tr td:nth-child(7)')].some(td => td.textContent.includes('·'))`) {
			t.Error("no peer has a profile, though they are hops of our tunnels")
		}
	}
	// The netDb page looks the local destination's LeaseSet up.
	b32 := view.Snapshot().Destinations[0].B32
	step(t, ctx, "netdb lookup", chromedp.Navigate(base+"netdb"), chromedp.SetValue(chromedp.CSS(`input[name="key"]`), b32),
		chromedp.Click(chromedp.CSS(`form.lookup button`)), chromedp.WaitVisible(chromedp.ID("lookup-result")))
	if got := eval[string](t, ctx, `document.getElementById('lookup-result').innerText`); !strings.Contains(got, "yes") {
		t.Errorf("lookup of %s: %s", b32, got)
	}
	shot("netdb")

	// A configuration change is saved to the file.
	step(t, ctx, "config", chromedp.Navigate(base+"config"), chromedp.WaitVisible(chromedp.ID("share")),
		chromedp.SetValue(chromedp.ID("share"), "42"), chromedp.SetValue(chromedp.ID("bandwidth"), "P"),
		chromedp.Click(chromedp.ID("notransit")), chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("saved")))
	shot("config")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# my router\n", "loglevel = info\n", "bandwidth = P\n", "share = 42\n", "notransit = true\n", "floodfill = false\n", "[http]\nport = 7070\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config file lacks %q:\n%s", want, b)
		}
	}

	// It survives a restart: the options loaded from the file carry it,
	// and the console of a router started from them shows it.
	opts, err := config.Load([]string{"--conf=" + conf, "--datadir=" + t.TempDir()}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if opts.Bandwidth != "P" || opts.Share != 42 || !opts.NoTransit || opts.Floodfill || opts.LogLevel != "info" {
		t.Fatalf("reloaded options: bandwidth %q share %d notransit %v floodfill %v", opts.Bandwidth, opts.Share, opts.NoTransit, opts.Floodfill)
	}
	r2, err := New(Config{DataDir: opts.DataDir, NetID: 99, Bandwidth: opts.Bandwidth, Share: opts.Share, NoTransit: opts.NoTransit})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(); err != nil {
		t.Fatal(err)
	}
	base2 := serveConsole(t, r2.ConsoleView(ConsoleOptions{ConfFile: conf, Shutdown: func() {},
		Settings: console.Settings{Bandwidth: opts.Bandwidth, Share: opts.Share, NoTransit: opts.NoTransit, Floodfill: opts.Floodfill}}))
	step(t, ctx, "config after restart", chromedp.Navigate(base2+"config"), chromedp.WaitVisible(chromedp.ID("share")))
	if got := eval[string](t, ctx, `[document.getElementById('share').value, document.getElementById('bandwidth').value, document.getElementById('notransit').checked, document.getElementById('floodfill').checked].join(' ')`); got != "42 P true false" {
		t.Errorf("after the restart the form shows %q", got)
	}
}
