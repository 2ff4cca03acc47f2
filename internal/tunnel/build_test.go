package tunnel

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// testRouter is a hop with its record keys.
type testRouter struct {
	ident data.Hash
	pub   [32]byte
	keys  *RecordKeys
}

func newTestRouter(t testing.TB) testRouter {
	t.Helper()
	priv, pub, err := crypto.GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	var id data.Hash
	rand.Read(id[:])
	return testRouter{ident: id, pub: pub, keys: NewRecordKeys(id, priv, pub)}
}

// testPath builds the Hop list of a tunnel through routers, ending at
// replyTo (the reply gateway of an outbound build, the creator of an
// inbound one).
func testPath(routers []testRouter, inbound bool, replyTo data.Hash) []Hop {
	hops := make([]Hop, len(routers))
	for i, r := range routers {
		req := BuildRequest{ReceiveID: data.TunnelID(100 + i), NextID: data.TunnelID(101 + i), RequestTime: 29_000_000, Expiration: 600, NextMsgID: uint32(7000 + i)}
		if i+1 < len(routers) {
			req.NextIdent = routers[i+1].ident
		} else {
			req.NextIdent = replyTo
			if !inbound {
				req.Flags = FlagOutboundEndpoint
			}
		}
		if i == 0 && inbound {
			req.Flags = FlagInboundGateway
		}
		hops[i] = Hop{Ident: r.ident, EncKey: r.pub, Request: req}
	}
	return hops
}

func TestShortBuildRoundTrip(t *testing.T) {
	for _, inbound := range []bool{false, true} {
		for _, n := range []int{1, 3, 7} {
			routers := make([]testRouter, n)
			for i := range routers {
				routers[i] = newTestRouter(t)
			}
			creator := data.Hash{0xcc, 1, 2, 3}
			var own *data.Hash
			if inbound {
				own = &creator
			}
			hops := testPath(routers, inbound, creator)
			b, recs, err := NewShortBuild(nil, hops, 8, own)
			if err != nil {
				t.Fatal(err)
			}
			codes := make([]byte, n)
			for i, r := range routers {
				hr, err := r.keys.OpenShort(recs)
				if err != nil {
					t.Fatalf("inbound=%v hop %d: %v", inbound, i, err)
				}
				want := hops[i].Request
				want.Options = []byte{0, 0}
				got := hr.BuildRequest
				got.LayerKey, got.IVKey, got.ReplyKey, got.ReplyIV = want.LayerKey, want.IVKey, want.ReplyKey, want.ReplyIV
				if !equalRequest(&got, &want) {
					t.Fatalf("hop %d read %+v, want %+v", i, got, want)
				}
				if hr.Layer != b.Hops[i].Layer || hr.IV != b.Hops[i].IV || hr.Index != b.Hops[i].Index {
					t.Fatalf("hop %d keys differ from the creator's", i)
				}
				if hr.Role() == OutboundEndpoint && (hr.GarlicKey != b.Hops[i].GarlicKey || hr.GarlicKey == [32]byte{}) {
					t.Fatalf("garlic reply key differs")
				}
				codes[i] = byte(i % 2 * ReplyRejectBandw)
				if err := hr.ReplyShort(recs, codes[i], nil); err != nil {
					t.Fatal(err)
				}
			}
			got, err := b.OpenReplies(recs)
			if err != nil {
				t.Fatalf("inbound=%v n=%d: %v", inbound, n, err)
			}
			if !bytes.Equal(got, codes) {
				t.Fatalf("codes %v, want %v", got, codes)
			}
			if inbound {
				// The creator's record arrives in the clear with its prefix.
				if !bytes.Equal(recs[b.own][:16], creator[:16]) {
					t.Fatal("creator's record lost its prefix")
				}
				recs[b.own][100] ^= 1
				if _, err := b.OpenReplies(recs); err == nil {
					t.Fatal("altered creator record accepted")
				}
			}
		}
	}
}

func equalRequest(a, b *BuildRequest) bool {
	return a.ReceiveID == b.ReceiveID && a.NextID == b.NextID && a.NextIdent == b.NextIdent && a.Flags == b.Flags &&
		a.LayerEnc == b.LayerEnc && a.RequestTime == b.RequestTime && a.Expiration == b.Expiration &&
		a.NextMsgID == b.NextMsgID && bytes.Equal(a.Options, b.Options)
}

func TestOpenShortRejects(t *testing.T) {
	r := newTestRouter(t)
	other := newTestRouter(t)
	hops := testPath([]testRouter{r}, false, data.Hash{1})
	_, recs, err := NewShortBuild(nil, hops, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.keys.OpenShort(recs); !errors.Is(err, ErrNotOurRecord) {
		t.Fatalf("other router: %v", err)
	}
	i := r.keys.FindShort(recs)
	for _, at := range []int{20, 60, 217} {
		bad := append([]i2np.ShortBuildRecord(nil), recs...)
		bad[i][at] ^= 0x10
		if _, err := r.keys.OpenShort(bad); err == nil {
			t.Fatalf("flip at %d accepted", at)
		}
	}
	// Both role flags at once.
	hops[0].Request.Flags = FlagInboundGateway | FlagOutboundEndpoint
	_, recs, _ = NewShortBuild(nil, hops, 4, nil)
	if _, err := r.keys.OpenShort(recs); !errors.Is(err, ErrBadRecord) {
		t.Fatalf("both flags: %v", err)
	}
}

// TestShortRecordKAT pins the Noise N record layout to an independent
// computation from the spec's pseudo-code with fixed keys.
func TestShortRecordKAT(t *testing.T) {
	hopPriv := [32]byte{1}
	hopPub, _ := crypto.X25519Public(hopPriv[:])
	ephPriv := [32]byte{2}
	ephPub, _ := crypto.X25519Public(ephPriv[:])
	ident := data.Hash{0xab}
	req := BuildRequest{ReceiveID: 1, NextID: 2, NextIdent: data.Hash{3}, RequestTime: 4, Expiration: 600, NextMsgID: 5}
	plain, _ := req.appendShort(nil, make([]byte, ShortRequestLen))

	// Spec pseudo-code, written out with sha256 and HKDF directly.
	h := [32]byte{}
	copy(h[:], noiseNProtocol)
	ck := h
	h = sha256.Sum256(h[:])
	h = sha256.Sum256(append(h[:], hopPub[:]...))
	h = sha256.Sum256(append(h[:], ephPub[:]...))
	dh, _ := crypto.X25519(ephPriv[:], hopPub[:])
	kd := crypto.HKDF(ck[:], dh, "", 64)
	var k [32]byte
	copy(k[:], kd[32:])
	ct := crypto.ChaChaPolySeal(&k, 0, nil, plain, h[:])

	rec := i2np.ShortBuildRecord{}
	copy(rec[:], ident[:16])
	copy(rec[16:], ephPub[:])
	copy(rec[48:], ct)
	keys := NewRecordKeys(ident, hopPriv, hopPub)
	hr, err := keys.OpenShort([]i2np.ShortBuildRecord{rec})
	if err != nil {
		t.Fatal(err)
	}
	if hr.NextMsgID != 5 || hr.NextIdent != (data.Hash{3}) {
		t.Fatalf("read %+v", hr.BuildRequest)
	}
	// Reply key per the spec's KDF from ck after MixKey.
	var ck2 [32]byte
	copy(ck2[:], kd[:32])
	rk := crypto.HKDF(ck2[:], nil, "SMTunnelReplyKey", 64)
	if !bytes.Equal(rk[32:], hr.replyKey[:]) {
		t.Fatal("reply key differs from the spec's KDF")
	}
}

// longRecord encrypts a long ECIES record to a hop, as a creator would.
func longRecord(t testing.TB, r testRouter, req *BuildRequest) (rec i2np.BuildRecord) {
	t.Helper()
	plain, err := req.appendLong(nil, make([]byte, LongRequestLen))
	if err != nil {
		t.Fatal(err)
	}
	priv, pub, _ := crypto.GenerateX25519(nil)
	st := noiseNStart(&r.pub)
	st.MixHash(pub[:])
	dh, _ := crypto.X25519(priv[:], r.pub[:])
	st.MixKey(dh)
	copy(rec[:], r.ident[:16])
	copy(rec[16:], pub[:])
	st.EncryptAndHash(rec[48:48], plain)
	return rec
}

func TestLongRecordReply(t *testing.T) {
	r := newTestRouter(t)
	req := BuildRequest{ReceiveID: 9, NextID: 10, NextIdent: data.Hash{4}, RequestTime: 5, Expiration: 600, NextMsgID: 77, Flags: FlagOutboundEndpoint}
	rand.Read(req.LayerKey[:])
	rand.Read(req.IVKey[:])
	rand.Read(req.ReplyKey[:])
	rand.Read(req.ReplyIV[:])
	recs := make([]i2np.BuildRecord, 4)
	for i := range recs {
		rand.Read(recs[i][:])
	}
	recs[2] = longRecord(t, r, &req)
	other := recs[1]
	hr, err := r.keys.OpenLong(recs)
	if err != nil {
		t.Fatal(err)
	}
	if hr.Index != 2 || hr.Layer != req.LayerKey || hr.IV != req.IVKey || hr.Role() != OutboundEndpoint || hr.NextMsgID != 77 {
		t.Fatalf("read %+v", hr)
	}
	if err := hr.ReplyLong(recs, 0, nil); err != nil {
		t.Fatal(err)
	}
	plain, err := crypto.ChaChaPolyOpen(&hr.replyKey, 0, nil, recs[2][:], hr.h[:])
	if err != nil || plain[LongReplyLen-1] != 0 {
		t.Fatalf("own reply: %v", err)
	}
	var back [528]byte
	if err := crypto.AESCBCDecrypt(req.ReplyKey[:], req.ReplyIV[:], back[:], recs[1][:]); err != nil || back != other {
		t.Fatal("other record not AES-CBC encrypted with the reply key and IV")
	}
}

func BenchmarkOpenShort(b *testing.B) {
	r := newTestRouter(b)
	hops := testPath([]testRouter{r}, false, data.Hash{1})
	_, recs, err := NewShortBuild(nil, hops, 4, nil)
	if err != nil {
		b.Fatal(err)
	}
	work := make([]i2np.ShortBuildRecord, len(recs))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, recs)
		hr, err := r.keys.OpenShort(work)
		if err != nil {
			b.Fatal(err)
		}
		if err := hr.ReplyShort(work, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
