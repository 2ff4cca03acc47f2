//go:build interop

package interop

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// TestHarnessNetns checks the harness's netns mode, which the transport
// interop tests build on: two i2pd routers, each in a namespace of its own on
// 198.18.0.0/24 (i2pd 2.45.1 drops incoming connections from 127/8), seeded
// with each other's RouterInfo, must connect to each other. Root only; the
// namespaces are deleted at the end.
func TestHarnessNetns(t *testing.T) {
	i2pdtest.Require(t)
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
	start := time.Now()
	routers := make([]*i2pdtest.Router, 2)
	ris := make([][]byte, 2)
	for i := range routers {
		ns, addr := n.Add(fmt.Sprintf("r%d", i), 10+i)
		routers[i] = i2pdtest.Start(t, i2pdtest.Config{NetID: 77, Netns: ns, Host: addr, Floodfill: true})
		if err := routers[i].WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range routers {
		r.Stop()
		ris[i] = readFile(t, r.RouterInfoPath())
		f, err := i2pdtest.ParseRouterInfo(ris[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range f.Addresses {
			if a.Options["host"] != r.Config().Host {
				t.Errorf("router %d publishes %s %s, want its namespace address %s", i, a.Style, a.Options["host"], r.Config().Host)
			}
		}
	}
	for i, r := range routers {
		if _, err := i2pdtest.InstallRouterInfo(r.NetDbPath(), ris[1-i]); err != nil {
			t.Fatal(err)
		}
		r.Restart()
	}
	t.Logf("two routers up in namespaces after %v", time.Since(start).Round(time.Millisecond))

	peer := routers[1].Config()
	want := peer.Host + ":" + strconv.Itoa(peer.Port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		page, err := routers[0].ConsoleGet("/?page=transports")
		if err != nil {
			t.Fatal(err) // the console is reached through the namespace
		}
		if strings.Contains(page, want) {
			t.Logf("router 0 has a session with %s after %v", want, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("router 0 has no session with %s after 60 s; its log:\n%s", want, grepLog(routers[0].Log(), "NTCP2", "SSU2", "Transports"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
