package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freeLocalPort is a port free on 127.0.0.1 now, below the ephemeral
// range so no outgoing connection takes it first.
func freeLocalPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// TestConsoleRestart runs the veil command with its console, saves a
// setting through the console's form, restarts the router from the
// console, and finds the setting in force and the log lines kept.
func TestConsoleRestart(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "i2pd.conf")
	if err := os.WriteFile(conf, []byte("# test router\nloglevel = info\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	web := freeLocalPort(t)
	args := []string{"--datadir=" + dir, "--conf=" + conf, "--netid=99", "--host=127.0.0.1", "--address4=127.0.0.1",
		"--port=" + strconv.Itoa(freeLocalPort(t)), "--reservedrange=false", "--ssu2.enabled=false",
		"--httpproxy.enabled=false", "--socksproxy.enabled=false", "--addressbook.enabled=false",
		"--reseed.threshold=0", "--http.port=" + strconv.Itoa(web)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runRouter(ctx, args, io.Discard) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the router did not stop")
		}
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(web) + "/"
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			resp, err := c.Get(base + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return string(b)
				}
			}
			if time.Now().After(end) {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	page := get("config")
	tok := token.FindStringSubmatch(page)[1]
	resp, err := c.PostForm(base+"config", url.Values{"csrf": {tok}, "bandwidth": {"P"}, "share": {"42"}, "notransit": {"on"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %v %v", resp, err)
	}
	resp.Body.Close()
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "bandwidth = P\nshare = 42\nnotransit = true\n") || !strings.Contains(string(b), "loglevel = info\n") {
		t.Fatalf("config file:\n%s", b)
	}
	if logs := get("logs"); !strings.Contains(logs, "console: settings saved") {
		t.Error("the log page lacks the save")
	}
	resp, err = c.PostForm(base+"restart", url.Values{"csrf": {tok}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("restart: %v %v", resp, err)
	}
	resp.Body.Close()
	time.Sleep(500 * time.Millisecond) // the old console stops after the router
	page = get("config")
	if tok2 := token.FindStringSubmatch(page)[1]; tok2 == tok {
		t.Error("the same console answered: no restart")
	}
	for _, want := range []string{`id="bandwidth" value="P"`, `id="share" value="42"`, `id="notransit" checked`, `id="floodfill" >`} {
		if !strings.Contains(page, want) {
			t.Errorf("after the restart the form lacks %s", want)
		}
	}
	if logs := get("logs"); !strings.Contains(logs, "restarting") || !strings.Contains(logs, "console: settings saved") {
		t.Error("the log lines were not kept across the restart")
	}
}
