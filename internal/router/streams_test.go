package router

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestVeilTCPTunnels: an HTTP server behind a veil server tunnel, reached
// through a veil client tunnel on another router: the file downloaded
// through 2-hop tunnels both ways has the server's SHA-256.
// VEIL_STREAM_MB sets the file's size (default 2 MB).
func TestVeilTCPTunnels(t *testing.T) {
	if testing.Short() {
		t.Skip("five routers")
	}
	size := 2 << 20
	if mb, err := strconv.Atoi(os.Getenv("VEIL_STREAM_MB")); err == nil && mb > 0 {
		size = mb << 20
	}
	file := make([]byte, size)
	rand.Read(file)
	want := sha256.Sum256(file)
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "file", time.Time{}, bytes.NewReader(file))
	})}
	go srv.Serve(web)
	defer srv.Close()

	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cliPort := freePort(t)
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	_, dirs := startVeilNet(t, 5, func(i int, cfg *Config) {
		switch i {
		case 4:
			if _, _, err := keyfile.LoadOrCreate(filepath.Join(cfg.DataDir, "web.dat"), func() (*keyfile.PrivateKeys, error) { return keys, nil }); err != nil {
				t.Fatal(err)
			}
			cfg.Destinations = []DestinationConfig{{Name: "web", KeysFile: "web.dat", Pool: shape,
				TCPServer: &i2ptunnel.ServerConfig{Name: "web", Host: "127.0.0.1", Port: web.Addr().(*net.TCPAddr).Port}}}
		case 3:
			cfg.Destinations = []DestinationConfig{{Name: "web-out", Pool: shape,
				TCPClient: &i2ptunnel.ClientConfig{Name: "web-out", Port: cliPort, Destination: keys.Identity.Hash().B32()}}}
		}
	})
	for _, i := range []int{3, 4} {
		waitStatusFor(t, dirs[i], "LeaseSet published, TCP tunnel up", 30*time.Second, func(st Status) bool {
			return len(st.Destinations) == 1 && st.Destinations[0].Stores > 0 && len(st.TCPTunnels) == 1
		})
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/file", cliPort)
	start := time.Now()
	var got []byte
	for try := 0; try < 3 && got == nil; try++ { // the first lookup may miss a LeaseSet not yet stored
		resp, err := http.Get(url)
		if err != nil {
			t.Logf("GET: %v", err)
			time.Sleep(2 * time.Second)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET: %d of %d bytes: %v", len(b), size, err)
		}
		got = b
	}
	d := time.Since(start)
	if sha256.Sum256(got) != want {
		t.Fatalf("downloaded %d bytes, want %d with the server's SHA-256", len(got), size)
	}
	t.Logf("%d bytes in %v: %.0f kB/s", size, d.Round(time.Millisecond), float64(size)/d.Seconds()/1e3)
	st := waitStatusFor(t, dirs[4], "status", time.Second, func(Status) bool { return true })
	t.Logf("server tunnel %+v", st.TCPTunnels[0])
}
