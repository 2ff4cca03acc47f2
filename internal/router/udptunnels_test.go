package router

import (
	"crypto/rand"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// startVeilNet runs n veil routers on loopback, the first two floodfills,
// each seeded with the others' RouterInfos, with 2-hop tunnels; set
// shapes router i's config before it starts. It waits until every router
// has 2+2 tested exploratory tunnels.
func startVeilNet(t *testing.T, n int, set func(i int, cfg *Config)) ([]*Router, []string) {
	t.Helper()
	dirs := make([]string, n)
	rs := make([]*Router, n)
	for i := range rs {
		dirs[i] = t.TempDir()
		cfg := loopbackConfig(t, dirs[i])
		cfg.Floodfill = i < 2
		cfg.Exploratory = PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
		cfg.TunnelTestEvery = time.Second
		if set != nil {
			set(i, &cfg)
		}
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	for i := range dirs {
		for j := range dirs {
			if i != j {
				seed(t, dirs[j], dirs[i])
			}
		}
	}
	for _, r := range rs {
		running(t, r)
	}
	for i, dir := range dirs {
		// Builds sent before every router listened time out (20 s) and
		// are redone: allow for one round of that.
		waitStatusFor(t, dir, fmt.Sprintf("router %d: 2+2 tunnels tested", i), 60*time.Second, func(st Status) bool {
			return countEstablished(st.Tunnels.Inbound, 2) >= 2 && countEstablished(st.Tunnels.Outbound, 2) >= 2 && st.Tunnels.TestsOK > 0
		})
	}
	return rs, dirs
}

// TestVeilUDPTunnels: a udpclient on one veil router and a udpserver on
// another carry a local program's packets to a local service and its
// answers back, over two ElGamal-only destinations (i2cp.leaseSetEncType
// = 0), so both directions are ElGamal/AES garlic and the session tags
// confirmed by DeliveryStatus are used.
func TestVeilUDPTunnels(t *testing.T) {
	if testing.Short() {
		t.Skip("five routers")
	}
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvHash := keys.Identity.Hash()
	service, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer service.Close()
	cliPort := freePort(t)
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	elg := []crypto.EncType{crypto.EncElGamal}
	_, dirs := startVeilNet(t, 5, func(i int, cfg *Config) {
		switch i {
		case 4:
			if _, _, err := keyfile.LoadOrCreate(filepath.Join(cfg.DataDir, "srv.dat"), func() (*keyfile.PrivateKeys, error) { return keys, nil }); err != nil {
				t.Fatal(err)
			}
			cfg.Destinations = []DestinationConfig{{Name: "srv", KeysFile: "srv.dat", Pool: shape, EncTypes: elg,
				UDPServer: &i2ptunnel.UDPServerConfig{Name: "srv", Host: "127.0.0.1", Port: service.LocalAddr().(*net.UDPAddr).Port, UniqueLocal: true}}}
		case 3:
			cfg.Destinations = []DestinationConfig{{Name: "cli", Pool: shape, EncTypes: elg,
				UDPClient: &i2ptunnel.UDPClientConfig{Name: "cli", Port: cliPort, Destination: srvHash.B32(), DestinationPort: 99}}}
		}
	})
	for _, i := range []int{3, 4} {
		waitStatusFor(t, dirs[i], "LeaseSet published", 30*time.Second, func(st Status) bool {
			return len(st.Destinations) == 1 && st.Destinations[0].Stores > 0 && len(st.UDPTunnels) == 1
		})
	}
	prog, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	tunnel := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: cliPort}
	const n = 40
	// The first packets wait for the server's LeaseSet lookup.
	var from *net.UDPAddr
	buf := make([]byte, 2048)
	for try := 0; from == nil && try < 20; try++ {
		prog.WriteToUDP([]byte("hello"), tunnel)
		service.SetReadDeadline(time.Now().Add(time.Second))
		if _, a, err := service.ReadFromUDP(buf); err == nil {
			from = a
		}
	}
	if from == nil {
		t.Fatal("nothing reached the service")
	}
	got := countPackets(t, service, n, "up", func(b []byte) { prog.WriteToUDP(b, tunnel) })
	back := countPackets(t, prog, n, "down", func(b []byte) { service.WriteToUDP(b, from) })
	t.Logf("service got %d of %d, program %d of %d", got, n, back, n)
	if got < n*9/10 || back < n*9/10 {
		t.Fatalf("delivered %d and %d of %d", got, back, n)
	}
	for _, i := range []int{3, 4} {
		st := waitStatusFor(t, dirs[i], "status", time.Second, func(Status) bool { return true })
		d, u := st.Destinations[0], st.UDPTunnels[0]
		t.Logf("%s: garlic sent %v received %v; tunnel %+v", d.Name, d.GarlicSent, d.GarlicReceived, u)
		if d.GarlicSent["ElGamal NS"] == 0 || d.GarlicReceived["ElGamal NS"] == 0 || d.GarlicSent["NS"] != 0 {
			t.Errorf("%s: not ElGamal both ways", d.Name)
		}
		if d.GarlicSent["ElGamal ES"] == 0 {
			t.Errorf("%s: no session tag was confirmed and used", d.Name)
		}
		if u.SentRepliable == 0 || u.SentRaw == 0 {
			t.Errorf("%s: sent %d repliable, %d raw", u.Name, u.SentRepliable, u.SentRaw)
		}
	}
}

// countPackets sends n packets "prefix i", 20 ms apart, and counts the
// distinct ones c receives until 3 quiet seconds.
func countPackets(t *testing.T, c *net.UDPConn, n int, prefix string, send func([]byte)) int {
	t.Helper()
	seen := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			k, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:k]), prefix+" ") {
				seen[string(buf[:k])] = true
			}
		}
	}()
	for i := range n {
		send(fmt.Appendf(nil, "%s %d", prefix, i))
		time.Sleep(20 * time.Millisecond)
	}
	<-done
	return len(seen)
}
