package i2np

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

func i2pdRouterInfo(t testing.TB) *data.RouterInfo {
	t.Helper()
	b, err := os.ReadFile("testdata/routerinfo-i2pd-2.45.1.dat")
	if err != nil {
		t.Fatal(err)
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	return ri
}

// i2pdStore builds a DatabaseStore of ri byte for byte as i2pd 2.45.1's
// CreateDatabaseStoreMsg does for a RouterInfo that fits one tunnel
// message: header, then its GzipNoCompression (one stored deflate block,
// header 1f8b0800 00000000 02ff).
func i2pdStore(ri *data.RouterInfo, token uint32, gw data.Hash) []byte {
	raw := ri.Bytes()
	h := ri.Hash()
	b := append([]byte(nil), h[:]...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, token)
	if token != 0 {
		b = append(b, 0, 0, 0, 0)
		b = append(b, gw[:]...)
	}
	z := []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff, 0x01}
	z = binary.LittleEndian.AppendUint16(z, uint16(len(raw)))
	z = binary.LittleEndian.AppendUint16(z, 0xffff-uint16(len(raw)))
	z = append(z, raw...)
	z = binary.LittleEndian.AppendUint32(z, crc32.ChecksumIEEE(raw))
	z = binary.LittleEndian.AppendUint32(z, uint32(len(raw)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(z)))
	return append(b, z...)
}

func TestDatabaseStoreFromI2pd(t *testing.T) {
	ri := i2pdRouterInfo(t)
	gw := data.Hash{9, 9, 9}
	for _, token := range []uint32{0, 0x11223344} {
		m, err := ParseDatabaseStore(i2pdStore(ri, token, gw))
		if err != nil {
			t.Fatal(err)
		}
		if m.Key != ri.Hash() || m.Type != StoreRouterInfo || m.ReplyToken != token || !bytes.Equal(m.Data, ri.Bytes()) {
			t.Fatalf("token %d: parsed %+v", token, m)
		}
		if token != 0 && (m.ReplyGateway != gw || m.ReplyTunnel != 0) {
			t.Fatalf("reply %v %v", m.ReplyTunnel, m.ReplyGateway)
		}
		got, err := m.RouterInfo()
		if err != nil || got.Hash() != ri.Hash() {
			t.Fatal(err)
		}
		if err := got.Verify(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDatabaseStoreAppendJavaGzipHeader(t *testing.T) {
	ri := i2pdRouterInfo(t)
	b, err := NewRouterInfoStore(ri, 0, data.Hash{}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 37+2+int(binary.BigEndian.Uint16(b[37:])) {
		t.Fatalf("length field %d for %d bytes", binary.BigEndian.Uint16(b[37:]), len(b))
	}
	// i2np.rst: "First 10 bytes of the compressed router info will be
	// (hex): 1F 8B 08 00 00 00 00 00 02 FF".
	if got := hex.EncodeToString(b[39:49]); got != "1f8b08000000000002ff" {
		t.Fatalf("gzip header %s", got)
	}
	// A standard reader agrees.
	r, err := gzip.NewReader(bytes.NewReader(b[39:]))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil || !bytes.Equal(out.Bytes(), ri.Bytes()) {
		t.Fatalf("inflate: %v", err)
	}
}

func TestDatabaseStoreWithReply(t *testing.T) {
	ri := i2pdRouterInfo(t)
	me := data.Hash{1, 2, 3}
	m := NewRouterInfoStore(ri, 77, me)
	m.ReplyTunnel = 1234
	b, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if binary.BigEndian.Uint32(b[33:]) != 77 || binary.BigEndian.Uint32(b[37:]) != 1234 || !bytes.Equal(b[41:73], me[:]) {
		t.Fatalf("reply fields %x", b[:73])
	}
	g, err := ParseDatabaseStore(b)
	if err != nil || g.ReplyTunnel != 1234 || g.ReplyGateway != me {
		t.Fatalf("%+v %v", g, err)
	}
}

func TestDatabaseStoreRejects(t *testing.T) {
	ri := i2pdRouterInfo(t)
	good := i2pdStore(ri, 5, data.Hash{1})
	for n := range len(good) {
		if _, err := ParseDatabaseStore(good[:n]); err == nil {
			t.Fatalf("prefix %d parsed", n)
		}
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string]struct {
		b    []byte
		want error
	}{
		"type 2":         {mutate(func(b []byte) []byte { b[32] = 2; return b }), ErrInvalid},
		"type 9":         {mutate(func(b []byte) []byte { b[32] = 9; return b }), ErrInvalid},
		"trailing byte":  {append(bytes.Clone(good), 0), ErrTrailing},
		"bad crc":        {mutate(func(b []byte) []byte { b[len(b)-5] ^= 1; return b }), ErrInvalid},
		"not gzip":       {mutate(func(b []byte) []byte { b[75] = 0; return b }), ErrInvalid},
		"length too big": {mutate(func(b []byte) []byte { b[74]++; return b }), ErrTruncated},
	}
	for name, c := range cases {
		if _, err := ParseDatabaseStore(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Bits 7-4 of the type are ignored (i2np.rst, since 0.9.18).
	if m, err := ParseDatabaseStore(mutate(func(b []byte) []byte { b[32] = 0xf0; return b })); err != nil || m.Type != StoreRouterInfo {
		t.Fatalf("high type bits: %v", err)
	}
	// The key must be the RouterInfo's hash.
	m, err := ParseDatabaseStore(mutate(func(b []byte) []byte { b[0] ^= 1; return b }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RouterInfo(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestDatabaseStoreGzipBomb(t *testing.T) {
	big := make([]byte, MaxRouterInfoLen+1)
	z, err := gzipBytes(big)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 37)
	b = binary.BigEndian.AppendUint16(b, uint16(len(z)))
	b = append(b, z...)
	if _, err := ParseDatabaseStore(b); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bomb of %d compressed bytes: %v", len(z), err)
	}
	if _, err := (&DatabaseStore{Data: big}).Append(nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("append: %v", err)
	}
}

func TestDatabaseStoreGzipSecondMember(t *testing.T) {
	ri := i2pdRouterInfo(t)
	z, _ := gzipBytes(ri.Bytes())
	z = append(z, z...)
	b := make([]byte, 37)
	b = binary.BigEndian.AppendUint16(b, uint16(len(z)))
	if _, err := ParseDatabaseStore(append(b, z...)); !errors.Is(err, ErrTrailing) {
		t.Fatalf("two gzip members: %v", err)
	}
}

func TestDatabaseStoreLeaseSetKeepsBytes(t *testing.T) {
	m := &DatabaseStore{Key: data.Hash{4}, Type: StoreLeaseSet2, Data: []byte("opaque lease set")}
	b, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseDatabaseStore(b)
	if err != nil || g.Type != StoreLeaseSet2 || !bytes.Equal(g.Data, m.Data) {
		t.Fatalf("%+v %v", g, err)
	}
	if _, err := g.RouterInfo(); err == nil {
		t.Fatal("a LeaseSet2 store gave a RouterInfo")
	}
	if _, err := ParseDatabaseStore(b[:37]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("empty entry: %v", err)
	}
}

func TestDatabaseStoreRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &DatabaseStore{
			Type:       rapid.SampledFrom([]StoreType{StoreRouterInfo, StoreLeaseSet, StoreLeaseSet2, StoreEncryptedLeaseSet, StoreMetaLeaseSet}).Draw(t, "type"),
			ReplyToken: rapid.SampledFrom([]uint32{0, 1, 0xffffffff}).Draw(t, "token"),
			Data:       rapid.SliceOfN(rapid.Byte(), 1, 3000).Draw(t, "data"),
		}
		copy(m.Key[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "key"))
		if m.ReplyToken != 0 {
			m.ReplyTunnel = data.TunnelID(rapid.Uint32().Draw(t, "tunnel"))
			copy(m.ReplyGateway[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "gw"))
		}
		b, err := m.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParseDatabaseStore(b)
		if err != nil {
			t.Fatal(err)
		}
		if g.Key != m.Key || g.Type != m.Type || g.ReplyToken != m.ReplyToken || g.ReplyTunnel != m.ReplyTunnel ||
			g.ReplyGateway != m.ReplyGateway || !bytes.Equal(g.Data, m.Data) {
			t.Fatalf("%+v != %+v", g, m)
		}
	})
}

func TestRouterInfoStoreOfGeneratedRouter(t *testing.T) {
	keys, err := keyfile.GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: keys.Identity, Published: data.DateOf(time.Now())}
	ri.Options.Set("netId", "99")
	signer, _ := keys.Signer()
	if err := ri.Sign(signer); err != nil {
		t.Fatal(err)
	}
	b, err := NewRouterInfoStore(ri, 0, data.Hash{}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseDatabaseStore(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.RouterInfo()
	if err != nil || got.Verify() != nil || got.NetID() != 99 {
		t.Fatalf("%v", err)
	}
}

func FuzzParseDatabaseStore(f *testing.F) {
	ri := i2pdRouterInfo(f)
	f.Add(i2pdStore(ri, 0, data.Hash{}))
	f.Add(i2pdStore(ri, 1, data.Hash{1}))
	ours, _ := NewRouterInfoStore(ri, 0, data.Hash{}).Append(nil)
	f.Add(ours)
	ls, _ := (&DatabaseStore{Type: StoreLeaseSet, Data: []byte{1, 2, 3}}).Append(nil)
	f.Add(ls)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseDatabaseStore(b)
		if err != nil {
			return
		}
		if m.Type == StoreRouterInfo && len(m.Data) > MaxRouterInfoLen {
			t.Fatalf("inflated to %d bytes", len(m.Data))
		}
		again, err := m.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParseDatabaseStore(again)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if g.Key != m.Key || g.Type != m.Type || g.ReplyToken != m.ReplyToken || g.ReplyTunnel != m.ReplyTunnel ||
			g.ReplyGateway != m.ReplyGateway || !bytes.Equal(g.Data, m.Data) {
			t.Fatalf("%+v != %+v", g, m)
		}
		if m.Type != StoreRouterInfo && b[32]&0xf0 == 0 && !bytes.Equal(again, b) {
			t.Fatalf("LeaseSet store re-encoded as %x from %x", again, b)
		}
		_, _ = m.RouterInfo() // must not panic
	})
}
