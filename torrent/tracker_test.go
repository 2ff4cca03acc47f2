package torrent

import (
	"crypto/rand"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/veil-i2p/veil"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// newDest is a fresh destination's address.
func newDest(t testing.TB) veil.Addr {
	t.Helper()
	k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := veil.ParseAddr(data.EncodeBase64(k.Identity.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// announceAs sends an announce of a (ip: its Base64 unless ip is set) to tr.
func announceAs(t *testing.T, tr *Tracker, from veil.Addr, ip string, q url.Values) ([]peerAddr, error) {
	t.Helper()
	if ip == "" {
		ip = from.Base64() + ".i2p"
	}
	q.Set("info_hash", strings.Repeat("h", 20))
	q.Set("ip", ip)
	q.Set("port", "6881")
	if q.Get("left") == "" {
		q.Set("left", "0")
	}
	req := httptest.NewRequest("GET", "http://tracker.i2p/announce?"+q.Encode(), nil)
	req.RemoteAddr = from.B32() + ":0"
	w := httptest.NewRecorder()
	tr.ServeHTTP(w, req)
	peers, _, err := parseAnnounce(w.Body.Bytes())
	return peers, err
}

// TestTracker: peers learn of each other, in compact form (hashes, dialed
// as b32) or in full (Base64 destinations); an ip that is not the
// announcing destination is refused; "stopped" leaves the swarm.
func TestTracker(t *testing.T) {
	tr := NewTracker(time.Minute)
	a, b := newDest(t), newDest(t)
	if peers, err := announceAs(t, tr, a, "", url.Values{"compact": {"1"}, "event": {"started"}}); err != nil || len(peers) != 0 {
		t.Fatalf("first: %v %v", peers, err)
	}
	peers, err := announceAs(t, tr, b, "", url.Values{"compact": {"1"}, "left": {"100"}})
	if err != nil || len(peers) != 1 || string(peers[0]) != a.B32() {
		t.Fatalf("compact: %v %v", peers, err)
	}
	peers, err = announceAs(t, tr, a, "", url.Values{})
	if err != nil || len(peers) != 1 || string(peers[0]) != b.Base64() {
		t.Fatalf("full: %v %v", peers, err)
	}
	if s, l := tr.Peers([20]byte([]byte(strings.Repeat("h", 20)))); s != 1 || l != 1 {
		t.Errorf("seeders %d leechers %d", s, l)
	}
	if _, err := announceAs(t, tr, a, b.Base64(), url.Values{}); err == nil || !strings.Contains(err.Error(), "not the destination") {
		t.Errorf("spoofed ip: %v", err)
	}
	if _, err := announceAs(t, tr, a, "", url.Values{"event": {"stopped"}}); err != nil {
		t.Fatal(err)
	}
	if peers, _ := announceAs(t, tr, b, "", url.Values{"compact": {"1"}}); len(peers) != 0 {
		t.Errorf("stopped peer still handed out: %v", peers)
	}
}

func TestTrackerURL(t *testing.T) {
	for _, bad := range []string{"http://tracker.example.com/announce", "udp://t.i2p:6969", "https://t.i2p/announce", "::"} {
		if _, err := trackerURL(bad, announceRequest{}); err == nil {
			t.Errorf("%q taken", bad)
		}
	}
	u, err := trackerURL("http://t.i2p/announce?passkey=x", announceRequest{self: "AAAA", left: 5, event: "started"})
	if err != nil || !strings.Contains(u, "passkey=x") || !strings.Contains(u, "ip=AAAA.i2p") || !strings.Contains(u, "port=6881") ||
		!strings.Contains(u, "compact=1") {
		t.Fatalf("%s %v", u, err)
	}
}

// FuzzParseAnnounce: tracker responses never panic the parser, and what
// it takes are I2P addresses.
func FuzzParseAnnounce(f *testing.F) {
	compact, _ := bencode.Marshal(map[string]any{"interval": 60, "peers": strings.Repeat("x", 64)})
	full, _ := bencode.Marshal(map[string]any{"peers": []map[string]any{{"ip": "AAAA.i2p", "port": 6881}}})
	failure, _ := bencode.Marshal(map[string]any{"failure reason": "no"})
	for _, s := range [][]byte{compact, full, failure, []byte("de"), []byte("d5:peers3:abce"), nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		peers, _, err := parseAnnounce(b)
		if err != nil {
			return
		}
		if len(peers) > maxPeers {
			t.Fatalf("%d peers", len(peers))
		}
		for _, p := range peers {
			if _, err := veil.ParseAddr(string(p)); err != nil {
				t.Fatalf("peer %q: %v", p, err)
			}
		}
	})
}
