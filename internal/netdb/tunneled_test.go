package netdb

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// fakeTunnels sends "through a tunnel" by handing the message straight to
// the floodfill, and names gw/7 as the reply tunnel.
type fakeTunnels struct {
	tn   *testNet
	gw   data.Hash
	sent int
}

func (f *fakeTunnels) ReplyTunnel() (data.Hash, data.TunnelID, bool) { return f.gw, 7, true }

func (f *fakeTunnels) SendOut(to data.Hash, h i2np.Header, payload []byte) error {
	f.tn.mu.Lock()
	n := f.tn.nodes[to]
	f.sent++
	f.tn.mu.Unlock()
	if n == nil {
		return fmt.Errorf("no router %s", to)
	}
	m, err := i2np.ParseDatabaseLookup(payload)
	if err != nil {
		return err
	}
	if m.From != f.gw || m.ReplyTunnel != 7 || m.Encryption != i2np.ReplyECIES {
		return fmt.Errorf("lookup not asking for an encrypted reply to the tunnel: %+v", m)
	}
	_, err = n.HandleMessage(data.Hash{0xee}, h.Type, payload) // from: the outbound endpoint
	return err
}

// TestTunneledLookup: with tunnels, a lookup goes out through one and its
// answer comes back as one-time garlic to the reply tunnel's gateway,
// which the client opens.
func TestTunneledLookup(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		ff := tn.add(t, ctx, wg, "Xf")
		gw := data.Hash{0x6a}
		ft := &fakeTunnels{tn: tn, gw: gw}
		r := newRouter(t)
		ri := r.ri(t, time.Now(), "XR", 99, nil)
		c := &node{NewService(ServiceConfig{
			Store: New(Config{NetID: 99, Self: r.hash()}), Sender: netSender{tn, r.hash()},
			Self:    func() *data.RouterInfo { return ri },
			Lookup:  LookupConfig{ExploreInterval: -1},
			Publish: PublishConfig{Interval: -1},
			Tunnels: ft,
		}), ri}
		wg.Go(func() { c.Run(ctx) })
		c.knows(t, ff)
		var opened atomic.Int32
		tn.mu.Lock()
		tn.gateways = map[data.Hash]func(i2np.Header, []byte) error{gw: func(h i2np.Header, p []byte) error {
			tg, err := i2np.ParseTunnelGateway(p)
			if err != nil || tg.TunnelID != 7 {
				return fmt.Errorf("to the gateway: %v %v", tg.TunnelID, err)
			}
			ih, ip, err := tg.Inner()
			if err != nil || ih.Type != i2np.TypeGarlic {
				return fmt.Errorf("inner %v %v", ih.Type, err)
			}
			g, _ := i2np.ParseGarlic(ip)
			if c.OpenReply(g.Body) {
				opened.Add(1)
			}
			return nil
		}}
		tn.mu.Unlock()
		d := newDest(t)
		ls := d.ls2(t, time.Now(), nil)
		ff.HandleStore(data.Hash{0x11}, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})
		got, err := c.LookupLeaseSet(ctx, d.hash())
		if err != nil || got.Key != d.hash() {
			t.Fatalf("lookup: %v", err)
		}
		synctest.Wait() // the reply's OpenReply returns after the lookup does
		st := c.Stats()
		tn.mu.Lock()
		sent := ft.sent
		tn.mu.Unlock()
		if sent == 0 || opened.Load() == 0 || st.TunneledQueries == 0 || st.EncryptedReplies == 0 {
			t.Fatalf("sent %d, opened %d, stats %+v", sent, opened.Load(), st)
		}
		// A reply opens once: the key is single-use.
		if c.OpenReply(make([]byte, 40)) {
			t.Fatal("unknown tag opened")
		}
	})
}
