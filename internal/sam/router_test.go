package sam_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/veil-i2p/veil"
	"github.com/veil-i2p/veil/internal/sam"
)

// privateNet: two embedded veil routers of a private network on
// loopback (netid 99, one-hop tunnels, NTCP2 only), as veil_test.go.
var privateNet = []string{"netid=99", "host=127.0.0.1", "address4=127.0.0.1", "reservedrange=false",
	"floodfill=true", "ssu2.enabled=false", "reseed.threshold=0",
	"exploratory.inbound.length=1", "exploratory.outbound.length=1",
	"exploratory.inbound.quantity=2", "exploratory.outbound.quantity=2"}

var oneHop = []string{"inbound.length=1", "outbound.length=1", "inbound.quantity=2", "outbound.quantity=2"}

// TestGoSAMGoVeilRouters: go-sam-go drives the SAM bridges of two veil
// routers (sam.enabled=true, each on a loopback address of its own with
// ports 7656 and 7655): streams, repliable, raw, Datagram2 and Datagram3
// datagrams both ways, and a PRIMARY session with stream, datagram and raw subsessions, all
// through the routers' tunnels.
func TestGoSAMGoVeilRouters(t *testing.T) {
	if testing.Short() {
		t.Skip("two routers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hosts := []string{sam.SAMHost(2), sam.SAMHost(3)}
	var rs []*veil.Router
	for _, h := range hosts {
		if ln, err := net.Listen("tcp", h+":7656"); err != nil {
			t.Skipf("%s:7656 taken: %v", h, err)
		} else {
			ln.Close()
		}
		r, err := veil.Start(ctx, veil.Config{DataDir: t.TempDir(),
			Options: append([]string{"sam.enabled=true", "sam.address=" + h}, privateNet...)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		rs = append(rs, r)
	}
	for _, p := range [][2]*veil.Router{{rs[0], rs[1]}, {rs[1], rs[0]}} {
		if err := p[0].AddPeer(p[1].RouterInfo()); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hosts {
		for {
			c, err := net.Dial("tcp", h+":7656")
			if err == nil {
				c.Close()
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("no SAM bridge on %s: %v", h, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	start := time.Now()
	sam.GoSAMScenario(t, hosts[0], hosts[1], oneHop, 30*time.Second)
	t.Logf("scenario in %v", time.Since(start).Round(time.Millisecond))
}
