package router

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// testLeaseSet signs a LeaseSet2 of a fresh destination published now.
func testLeaseSet(t *testing.T) *data.LeaseSet2 {
	ls, _ := signedLeaseSet(t, 0)
	return ls
}

// signedLeaseSet is a LeaseSet2 with flags of a new destination, and the
// destination's signer.
func signedLeaseSet(t *testing.T, flags uint16) (*data.LeaseSet2, crypto.Signer) {
	t.Helper()
	k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncX25519, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Signer()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: k.Identity, Published: data.SecondsOf(now), Expires: 600, Flags: flags},
		Keys:            []data.EncryptionKey{{Type: crypto.EncX25519, Key: make([]byte, 32)}},
		Leases:          []data.Lease2{{Gateway: data.Hash{1}, TunnelID: 2, End: data.SecondsOf(now.Add(10 * time.Minute))}},
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	return ls, s
}

// controlLookupHTTP asks the router on dir for key over its socket.
func controlLookupHTTP(t *testing.T, dir, key, typ string) (LookupResult, int) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", filepath.Join(dir, ControlFile))
		},
	}, Timeout: 15 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://veil/netdb/lookup?key=" + key + "&type=" + typ)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res LookupResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res, resp.StatusCode
}

// TestNetDBTwoRouters: a publishes its RouterInfo to floodfill b, which
// acknowledges it; a finds by lookup a LeaseSet stored at b.
func TestNetDBTwoRouters(t *testing.T) {
	goroutineLeakCheck(t)
	dirA, dirB, ra, rb := startPair(t)
	seed(t, dirB, dirA)
	running(t, rb)
	waitStatus(t, dirB, "b running", func(Status) bool { return true })
	running(t, ra)
	st := waitStatus(t, dirA, "a's RouterInfo acknowledged", func(st Status) bool {
		return st.NetDB.Counters != nil && st.NetDB.Counters.PublishAcked > 0
	})
	if st.NetDB.Floodfill {
		t.Fatal("a is no floodfill")
	}
	sb := waitStatus(t, dirB, "b's counters", func(st Status) bool { return st.NetDB.Counters.Acks > 0 })
	if !sb.NetDB.Floodfill || sb.NetDB.Counters.StoresReceived == 0 {
		t.Fatalf("b: %+v", sb.NetDB)
	}

	ls := testLeaseSet(t)
	rb.NetDB().HandleStore(ra.Hash(), &i2np.DatabaseStore{Key: ls.Hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})
	res, code := controlLookupHTTP(t, dirA, ls.Hash().B32(), "leaseset")
	if code != http.StatusOK || !res.Found || res.StoreType != 3 || res.Key != ls.Hash().String() {
		t.Fatalf("lookup: %d %+v", code, res)
	}
	if l := ra.NetDB().Store().LeaseSet(ls.Hash()); l == nil || !bytes.Equal(l.Bytes(), ls.Bytes()) {
		t.Fatal("a did not store the LeaseSet it found")
	}
	res, code = controlLookupHTTP(t, dirA, data.Hash{7}.String(), "leaseset")
	if code != http.StatusNotFound || res.Found || res.Error == "" {
		t.Fatalf("missing key: %d %+v", code, res)
	}
	if _, code := controlLookupHTTP(t, dirA, "nonsense", "leaseset"); code != http.StatusBadRequest {
		t.Fatalf("bad key: %d", code)
	}
	sb = waitStatus(t, dirB, "b answered", func(st Status) bool { return st.NetDB.Counters.Answered > 0 })
	if sb.NetDB.LeaseSets != 1 || sb.NetDB.Counters.SearchReplies == 0 {
		t.Fatalf("b: %+v %+v", sb.NetDB, sb.NetDB.Counters)
	}
	checkB33Lookup(t, dirA, rb, ra.Hash()) // b33_control_test.go
}

// TestGarlicToRouter: a DatabaseStore of a LeaseSet inside garlic
// addressed to our router, as i2pd destinations publish through their
// tunnels, is stored; the same garlic again is a replay.
func TestGarlicToRouter(t *testing.T) {
	goroutineLeakCheck(t)
	_, dirB, _, rb := startPair(t)
	running(t, rb)
	waitStatus(t, dirB, "b running", func(Status) bool { return true })
	ls := testLeaseSet(t)
	ds := &i2np.DatabaseStore{Key: ls.Hash(), Type: i2np.StoreLeaseSet2, ReplyToken: 42, ReplyTunnel: 7, ReplyGateway: data.Hash{9}, Data: ls.Bytes()}
	payload, err := ds.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	rb.mu.Lock()
	g := rb.nd
	rb.mu.Unlock()
	now := time.Now()
	garlic, err := i2np.SealRouterGarlic(&g.pub, i2np.Header{Type: i2np.TypeDatabaseStore, ID: 1, Expiration: now.Add(time.Minute)}, payload, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	obep := data.Hash{5}
	rb.handleGarlic(g, obep, garlic)
	rb.handleGarlic(g, obep, garlic)
	rb.handleGarlic(g, obep, []byte{0, 0, 0, 40, 1})
	st := rb.Status().NetDB
	c := st.Counters
	if st.LeaseSets != 1 || c.GarlicIn != 3 || c.GarlicReplay != 1 || c.GarlicBad != 1 || c.Acks != 1 {
		t.Fatalf("%+v %+v", st, c)
	}
	if l := rb.NetDB().Store().LeaseSet(ls.Hash()); l == nil || !l.Servable(time.Now()) {
		t.Fatal("LeaseSet not stored as ours to serve")
	}
}
