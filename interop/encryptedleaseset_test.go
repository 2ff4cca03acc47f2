//go:build interop

package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Limits of TestEncryptedLeaseSetI2pd; every wait is bounded.
const (
	elsReadyWait   = 3 * time.Minute // veil's destinations publish
	elsReceiveWait = 3 * time.Minute // i2pd's pings reach veil
	elsLookupTries = 15              // veil lookups of one i2pd b33, 3 s apart
	elsPingEvery   = 10              // i2pd client tunnels' keepaliveinterval, s
)

// elsVeilDest is one veil destination of the test.
type elsVeilDest struct {
	name    string
	options string // its tunnels.conf i2cp options
	i2pdKey []byte // i2cp.leaseSetPrivKey of the i2pd client tunnel to it (nil: none)
	reach   bool   // that client must reach it
	keys    string // its keys file, made by the test so its b33 is known first
	b33     string
}

// TestEncryptedLeaseSetI2pd checks issue 7's encrypted-LeaseSet "Done
// when" against i2pd 2.45.1 (mixed network: veil and four i2pd in netns,
// NTCP2, i2pd r0 and r1 floodfills):
//
//  1. veil publishes EncryptedLeaseSets (tunnels.conf i2cp.leaseSetType
//     = 5) for destinations "open" (no authorization), "dh" (per-client
//     X25519), "psk" (pre-shared key) and "dhx" (X25519, another client
//     only). i2pd r2 has a client tunnel to each b33 address (with
//     i2cp.leaseSetPrivKey for dh, psk and dhx) whose keepalive sends a
//     streaming ping every 10 s: i2pd must look the blinded key up at the
//     floodfills, decrypt both layers, verify the inner LeaseSet2 and send
//     garlic to its lease and key, which veil's destination receives
//     (veil status: received). veil sends nothing first and its LeaseSet2
//     is published only encrypted, so a message received proves the
//     decryption. dhx must receive nothing (i2pd's key is not listed;
//     i2pd logs that it found no cookie for it).
//     (Not SAM NAMING LOOKUP: i2pd 2.45.1 dereferences its address book,
//     off in these tests, after a successful b33 lookup, and crashes.)
//  2. i2pd r3 publishes EncryptedLeaseSets from server tunnels "hopen",
//     "hdh" (DH) and "hpsk" (PSK), authorizing veil's "open" (one 32-byte
//     key, used as X25519 private key and as PSK, as i2pd's
//     i2cp.leaseSetPrivKey is). veil resolves the b33 addresses i2pd's
//     console shows (control socket GET /netdb/lookup): looked up by
//     blinded key, decrypted, inner LeaseSet2 verified, its destination
//     the tunnel's b32. Without a key (through "psk") or with a key i2pd
//     does not list (through "dhx"), "hdh" and "hpsk" do not resolve.
func TestEncryptedLeaseSetI2pd(t *testing.T) {
	inParallel(t)
	t0 := time.Now()
	key := func() []byte {
		k := make([]byte, 32)
		rand.Read(k)
		return k
	}
	b64 := data.EncodeBase64
	pub := func(priv []byte) []byte {
		p, err := crypto.X25519Public(priv)
		if err != nil {
			t.Fatal(err)
		}
		return p[:]
	}
	i2pdDH, i2pdPSK, reader, stranger := key(), key(), key(), key()
	dests := []*elsVeilDest{
		{name: "open", options: "i2cp.leaseSetType = 5\ni2cp.leaseSetPrivKey = " + b64(reader) + "\n", reach: true},
		{name: "dh", options: "i2cp.leaseSetType = 5\ni2cp.leaseSetAuthType = 1\ni2cp.leaseSetClient.dh.1 = i2pd:" + b64(pub(i2pdDH)) + "\n" +
			"i2cp.leaseSetClient.dh.2 = other:" + b64(pub(key())) + "\n", i2pdKey: i2pdDH, reach: true},
		{name: "psk", options: "i2cp.leaseSetType = 5\ni2cp.leaseSetAuthType = 2\ni2cp.leaseSetClient.psk.1 = i2pd:" + b64(i2pdPSK) + "\n", i2pdKey: i2pdPSK, reach: true},
		// dhx also holds a client key that i2pd's servers do not list.
		{name: "dhx", options: "i2cp.leaseSetType = 5\ni2cp.leaseSetAuthType = 1\ni2cp.leaseSetClient.dh.1 = other:" + b64(pub(key())) + "\n" +
			"i2cp.leaseSetPrivKey = " + b64(stranger) + "\n", i2pdKey: i2pdDH},
	}
	keyDir := t.TempDir()
	var vconf strings.Builder
	for i, d := range dests {
		pk, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		d.keys = filepath.Join(keyDir, d.name+".dat")
		writeFile(t, d.keys, pk.Bytes())
		if d.b33, err = data.EncodeB33(crypto.SigEdDSASHA512, crypto.SigRedDSASHA512, pk.Identity.SigningPublicKey(),
			data.B33Flags{PerClientAuth: strings.Contains(d.options, "AuthType")}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&vconf, "[%s]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = %s\n"+
			"inbound.length = 2\noutbound.length = 2\ninbound.quantity = 2\noutbound.quantity = 2\n%s\n", d.name, 8080+i, d.keys, d.options)
	}
	i2pdServers := map[string]string{
		"hopen": "",
		"hdh":   "i2cp.leaseSetAuthType = 1\ni2cp.leaseSetClient.dh.1 = veil:" + b64(pub(reader)) + "\n",
		"hpsk":  "i2cp.leaseSetAuthType = 2\ni2cp.leaseSetClient.psk.1 = veil:" + b64(reader) + "\n",
	}
	m := startMixed(t, mixedConfig{
		I2pdTunnels: func(i int) string {
			var b strings.Builder
			switch i {
			case 2: // clients of veil's encrypted destinations
				for j, d := range dests {
					fmt.Fprintf(&b, "[c%s]\ntype = client\naddress = 127.0.0.1\nport = %d\ndestination = %s\nkeys = c%s.dat\n"+
						"keepaliveinterval = %d\ninbound.length = 1\noutbound.length = 1\ninbound.quantity = 2\noutbound.quantity = 2\n",
						d.name, 7301+j, d.b33, d.name, elsPingEvery)
					if d.i2pdKey != nil {
						b.WriteString("i2cp.leaseSetPrivKey = " + b64(d.i2pdKey) + "\n")
					}
					b.WriteString("\n")
				}
			case 3: // encrypted servers for veil
				for j, name := range []string{"hopen", "hdh", "hpsk"} {
					// Several inbound tunnels: i2pd 2.45.1 tries to publish
					// when one is built and gives up until the next if it
					// has no outbound tunnel yet.
					fmt.Fprintf(&b, "[%s]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = %s.dat\ni2cp.leaseSetType = 5\n%s"+
						"inbound.length = 2\noutbound.length = 1\ninbound.quantity = 3\noutbound.quantity = 2\n\n", name, 9090+j, name, i2pdServers[name])
				}
			}
			return b.String()
		},
		VeilTunnels: vconf.String(),
	})
	t.Logf("veil %s and 4 i2pd up after %v", m.VeilHash, since(t0))

	// veil's encrypted destinations publish, under the b33 addresses
	// computed from their keys.
	var names []string
	for _, d := range dests {
		names = append(names, d.name)
	}
	vd := waitELSPublished(t, m, names)
	for _, d := range dests {
		if vd[d.name].B33 != d.b33 {
			t.Fatalf("veil %s: status says b33 %q, its keys make %q", d.name, vd[d.name].B33, d.b33)
		}
		t.Logf("veil %s: %s (b32 %s), %d stores", d.name, d.b33, vd[d.name].Address, vd[d.name].Stores)
	}

	// 1. i2pd resolves veil's encrypted LeaseSets and sends to them.
	deadline := time.Now().Add(elsReceiveWait)
	var got map[string]elsDestStatus
	for {
		var err error
		got, err = veilDestinations(t, m.VeilDir)
		done := err == nil
		for _, d := range dests {
			if d.reach && got[d.name].Received == 0 {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	// dhx: i2pd found its EncryptedLeaseSet but its key is not listed (its
	// 2.45.1 log says so); by then nothing may have reached dhx.
	if line, err := m.I2pd[2].WaitLog("LeaseSet2: Client cookie DH not found", 3*elsPingEvery*time.Second); err != nil {
		t.Errorf("i2pd did not refuse veil dhx's LeaseSet: %v", err)
	} else {
		t.Logf("i2pd r2: %s", strings.TrimSpace(line))
		if got, err = veilDestinations(t, m.VeilDir); err != nil {
			t.Fatal(err)
		}
	}
	failed := false
	for _, d := range dests {
		switch r := got[d.name].Received; {
		case d.reach && r == 0:
			t.Errorf("veil %s received nothing from i2pd's client tunnel to its b33 in %v", d.name, elsReceiveWait)
			failed = true
		case d.reach:
			t.Logf("i2pd resolved veil %s's b33 (key %v) and reached it: %d message(s) received, %d streaming (%v)",
				d.name, d.i2pdKey != nil, r, got[d.name].ReceivedBy["6"], since(t0))
		case r != 0:
			t.Errorf("veil %s received %d message(s) from an i2pd client it does not authorize", d.name, r)
		default:
			t.Logf("veil %s (i2pd's key not listed) received nothing, as it must", d.name)
		}
	}

	if failed {
		t.Logf("i2pd r2 (clients):\n%s\nveil:\n%s", grepLines(m.I2pd[2].Log(), 60, "LeaseSet", "Blinding", "encrypted", "Streaming", "Garlic", "Destination:"),
			grepLines(m.Veil.log(), 30, "garlic", "destination"))
	}

	// 2. veil resolves i2pd's encrypted LeaseSets.
	r3 := m.I2pd[3]
	for _, name := range []string{"hopen", "hdh", "hpsk"} {
		b32, err := r3.ServerTunnelB32(name, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		b33 := i2pdB33(t, r3, b32)
		t.Logf("i2pd %s: %s (b32 %s)", name, b33, b32)
		res := veilLookupB33(t, m.VeilDir, b33, "open", true)
		if res.Destination != b32 || res.StoreType != 3 || res.Leases == 0 {
			t.Errorf("veil resolved i2pd %s to %+v, want destination %s with leases\n%s", name, res, b32,
				grepLines(r3.Log(), 10, "Can't publish", "Publish LeaseSet"))
		} else {
			t.Logf("veil resolved i2pd %s: inner LeaseSet2 of %s, %d leases, expires %s", name, res.Destination, res.Leases, res.Expires)
		}
		if name != "hopen" && res.Found {
			for dest, why := range map[string]string{"psk": "a client key is required", "dhx": "this client is not listed"} {
				res := veilLookupB33(t, m.VeilDir, b33, dest, false)
				if res.Found || !strings.Contains(res.Error, why) {
					t.Errorf("veil's lookup of i2pd %s with %s's key: %+v, want %q", name, dest, res, why)
				} else {
					t.Logf("i2pd %s with %s's key: %s", name, dest, res.Error)
				}
			}
		}
	}
	t.Logf("total %v", since(t0))
}

// elsDestStatus is a destination in `veil status --json` (README).
type elsDestStatus struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	B33      string `json:"b33"`
	Leases   int    `json:"leases"`
	Stores   uint64 `json:"stores"`
	Received uint64 `json:"received"`
	// By I2CP protocol: i2pd's keepalive pings are streaming (6).
	ReceivedBy map[string]uint64 `json:"received_by_protocol"`
}

// veilDestinations reads veil's destinations by name.
func veilDestinations(t testing.TB, dir string) (map[string]elsDestStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, veil(t), "status", "--json", "--datadir="+dir).Output()
	if err != nil {
		return nil, fmt.Errorf("veil status --json: %w", err)
	}
	var st struct {
		Destinations []elsDestStatus `json:"destinations"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, err
	}
	m := map[string]elsDestStatus{}
	for _, d := range st.Destinations {
		m[d.Name] = d
	}
	return m, nil
}

// waitELSPublished waits until the named destinations report a b33
// address and a LeaseSet stored at floodfills, and gives all of them.
func waitELSPublished(t *testing.T, m *mixedNet, names []string) map[string]elsDestStatus {
	t.Helper()
	deadline := time.Now().Add(elsReadyWait)
	for {
		ds, err := veilDestinations(t, m.VeilDir)
		ready := err == nil
		for _, n := range names {
			if ready && (ds[n].B33 == "" || ds[n].Stores == 0 || ds[n].Leases == 0) {
				ready = false
			}
		}
		if ready {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("veil's encrypted destinations not published after %v: %+v (%v)\n%s", elsReadyWait, ds, err, m.Veil.logSummary(30))
		}
		time.Sleep(2 * time.Second)
	}
}

var b33Addr = regexp.MustCompile(`([a-z2-7]{56,})\.b32\.i2p`)

// i2pdB33 is the "Encrypted B33 address" i2pd's console shows for its
// local destination b32, checked against the one veil computes from the
// keys file's Destination.
func i2pdB33(t *testing.T, r *i2pdtest.Router, b32 string) string {
	t.Helper()
	page, err := r.ConsoleGet("/?page=local_destination&b32=" + trimB32(b32))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(page, "B33")
	mm := b33Addr.FindStringSubmatch(after)
	if mm == nil {
		t.Fatalf("i2pd console shows no b33 address for %s:\n%.2000s", b32, page)
	}
	b33 := mm[0]
	a, err := data.ParseB33(b33)
	if err != nil {
		t.Fatalf("i2pd's b33 %s: %v", b33, err)
	}
	if a.SigType != crypto.SigEdDSASHA512 || a.BlindedType != crypto.SigRedDSASHA512 {
		t.Errorf("i2pd's b33 %s: types %v/%v", b33, a.SigType, a.BlindedType)
	}
	return b33
}

// elsLookup is veil's GET /netdb/lookup answer (README, control socket).
type elsLookup struct {
	Key         string `json:"key"`
	Found       bool   `json:"found"`
	StoreType   int    `json:"store_type"`
	Destination string `json:"destination"`
	Leases      int    `json:"leases"`
	Expires     string `json:"expires"`
	Error       string `json:"error"`
}

// veilLookup asks the veil router on dir GET /netdb/lookup?query (its
// control socket) and returns the HTTP status and body.
func veilLookup(t testing.TB, dir, query string) (int, []byte) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", filepath.Join(dir, "veil.sock"))
		},
	}, Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://veil/netdb/lookup?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, bytes.TrimSpace(b)
}

// veilLookupB33 asks veil to resolve b33 with destination dest's client
// key; with want, a few times until found (i2pd may still be publishing).
func veilLookupB33(t *testing.T, dir, b33, dest string, want bool) elsLookup {
	t.Helper()
	var res elsLookup
	for try := range elsLookupTries {
		_, b := veilLookup(t, dir, "key="+url.QueryEscape(b33)+"&dest="+url.QueryEscape(dest))
		res = elsLookup{}
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("GET /netdb/lookup: %v: %s", err, b)
		}
		if res.Found || !want {
			return res
		}
		t.Logf("veil lookup of %s (try %d): %s", b33, try+1, res.Error)
		time.Sleep(3 * time.Second)
	}
	t.Errorf("veil did not resolve %s with %s's key: %s", b33, dest, res.Error)
	return res
}
