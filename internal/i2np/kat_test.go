package i2np

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Known answers, laid out by hand from i2np.rst: each case gives the
// fields and the wire bytes in hex, field by field.

func h32(b byte) data.Hash {
	var h data.Hash
	for i := range h {
		h[i] = b
	}
	return h
}

func rep(b string, n int) string { return strings.Repeat(b, n) }

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkKAT(t *testing.T, m Message, wire string) {
	t.Helper()
	want := unhex(t, wire)
	got, err := AppendPayload(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%x\nwant\n%x", got, want)
	}
	g, err := ParsePayload(m.MessageType(), want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, m) {
		t.Fatalf("parsed %+v\nwant %+v", g, m)
	}
}

func TestDatabaseLookupKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *DatabaseLookup
		wire string
	}{
		{
			// Direct RouterInfo lookup: flags 0000 1000 (type 10), size 0.
			"direct RI lookup",
			&DatabaseLookup{Key: h32(0xaa), From: h32(0xbb), Lookup: LookupRouterInfo},
			rep("aa", 32) + rep("bb", 32) + "08" + "0000",
		},
		{
			// Exploration to a tunnel, two excluded peers: flags 0000 1101.
			"exploration via tunnel",
			&DatabaseLookup{Key: h32(1), From: h32(2), ReplyTunnel: 0x01020304, Lookup: LookupExploration,
				Excluded: []data.Hash{h32(3), h32(0)}},
			rep("01", 32) + rep("02", 32) + "0d" + "01020304" + "0002" + rep("03", 32) + rep("00", 32),
		},
		{
			// LeaseSet lookup with an ECIES reply (proposal 154): flags
			// 0001 0101, key, tags = 1, one 8-byte tag.
			"LS lookup, ECIES reply",
			&DatabaseLookup{Key: h32(4), From: h32(5), ReplyTunnel: 7, Lookup: LookupLeaseSet,
				Encryption: ReplyECIES, ReplyKey: data.SessionKey(h32(6)), RatchetTag: data.RatchetTag{1, 2, 3, 4, 5, 6, 7, 8}},
			rep("04", 32) + rep("05", 32) + "15" + "00000007" + "0000" + rep("06", 32) + "01" + "0102030405060708",
		},
		{
			// Normal lookup with an ElGamal/AES reply: flags 0000 0011,
			// two 32-byte tags.
			"ElGamal reply",
			&DatabaseLookup{Key: h32(8), From: h32(9), ReplyTunnel: 1, Encryption: ReplyElGamal,
				ReplyKey: data.SessionKey(h32(0x0a)), ElGamalTags: []data.SessionTag{data.SessionTag(h32(0x0b)), data.SessionTag(h32(0x0c))}},
			rep("08", 32) + rep("09", 32) + "03" + "00000001" + "0000" + rep("0a", 32) + "02" + rep("0b", 32) + rep("0c", 32),
		},
	} {
		t.Run(c.name, func(t *testing.T) { checkKAT(t, c.m, c.wire) })
	}
}

func TestDatabaseLookupRejects(t *testing.T) {
	base := rep("01", 32) + rep("02", 32)
	for _, c := range []struct {
		name, wire string
		want       error
	}{
		{"bits 4 and 1", base + "12" + "0000" + rep("06", 32) + "01" + rep("07", 8), ErrInvalid},
		{"zero reply tunnel", base + "01" + "00000000" + "0000", ErrInvalid},
		{"513 excluded", base + "00" + "0201" + rep("00", 513*32), ErrTooLarge},
		{"excluded short", base + "00" + "0002" + rep("00", 63), ErrTruncated},
		{"ECIES 2 tags", base + "10" + "0000" + rep("06", 32) + "02" + rep("07", 16), ErrInvalid},
		{"ElGamal 0 tags", base + "02" + "0000" + rep("06", 32) + "00", ErrInvalid},
		{"ElGamal 33 tags", base + "02" + "0000" + rep("06", 32) + "21" + rep("07", 33*32), ErrInvalid},
		{"trailing", base + "00" + "0000" + "00", ErrTrailing},
		{"plain with key", base + "00" + "0000" + rep("06", 32) + "01" + rep("07", 8), ErrTrailing},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseDatabaseLookup(unhex(t, c.wire)); !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
	// Bits 7-5 are ignored on receipt.
	m, err := ParseDatabaseLookup(unhex(t, base+"e8"+"0000"))
	if err != nil || m.Lookup != LookupRouterInfo || m.Exploratory() {
		t.Fatalf("%+v %v", m, err)
	}
	for _, bad := range []*DatabaseLookup{
		{Encryption: ReplyElGamal},
		{Encryption: 9},
		{Lookup: 4},
		{Excluded: make([]data.Hash, MaxExcludedPeers+1)},
	} {
		if _, err := bad.Append(nil); err == nil {
			t.Errorf("Append(%+v) succeeded", bad)
		}
	}
	if !(&DatabaseLookup{Excluded: []data.Hash{{}}}).Exploratory() || !(&DatabaseLookup{Lookup: LookupExploration}).Exploratory() {
		t.Fatal("Exploratory")
	}
}

func TestDatabaseSearchReplyKnownAnswer(t *testing.T) {
	checkKAT(t, &DatabaseSearchReply{Key: h32(0x11), Peers: []data.Hash{h32(0x22), h32(0x33), h32(0x44)}, From: h32(0x55)},
		rep("11", 32)+"03"+rep("22", 32)+rep("33", 32)+rep("44", 32)+rep("55", 32))
	checkKAT(t, &DatabaseSearchReply{Key: h32(1), From: h32(2)}, rep("01", 32)+"00"+rep("02", 32))
	if _, err := ParseDatabaseSearchReply(unhex(t, rep("01", 32)+"00"+rep("02", 33))); !errors.Is(err, ErrTrailing) {
		t.Fatal(err)
	}
	if _, err := (&DatabaseSearchReply{Peers: make([]data.Hash, 256)}).Append(nil); !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
}

func TestTunnelGatewayKnownAnswer(t *testing.T) {
	// A DeliveryStatus (id 0x0a0b0c0d, expiring 0x0000018bcfe56800 ms)
	// into tunnel 0xdeadbeef: tunnelId, length 28 (16 + 12), then the
	// standard-header message, whose checksum byte is SHA-256's first.
	ds := "00000001" + "0000000000000002"
	inner := "0a" + "0a0b0c0d" + "0000018bcfe56800" + "000c" + hex.EncodeToString([]byte{sha256First(unhex(t, ds))}) + ds
	wire := "deadbeef" + "001c" + inner
	m, err := NewTunnelGateway(0xdeadbeef, Header{Type: TypeDeliveryStatus, ID: 0x0a0b0c0d, Expiration: time.UnixMilli(0x18bcfe56800)}, unhex(t, ds))
	if err != nil {
		t.Fatal(err)
	}
	checkKAT(t, &m, wire)
	h, p, err := m.Inner()
	if err != nil || h.Type != TypeDeliveryStatus || h.ID != 0x0a0b0c0d || !bytes.Equal(p, unhex(t, ds)) {
		t.Fatalf("inner %+v %x %v", h, p, err)
	}
	for _, c := range []struct {
		name, wire string
		want       error
	}{
		{"zero tunnel", "00000000" + "001c" + inner, ErrInvalid},
		{"length short", "deadbeef" + "001b" + inner, ErrTrailing},
		{"length long", "deadbeef" + "001d" + inner, ErrTruncated},
		{"bad checksum", "deadbeef" + "001c" + inner[:30] + "00" + inner[32:], ErrChecksum},
		{"two messages", "deadbeef" + "0038" + inner + inner, ErrTrailing},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseTunnelGateway(unhex(t, c.wire)); !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
}

func TestShortTunnelBuildKnownAnswer(t *testing.T) {
	// num = 4, then four 218-byte records: 873 bytes, the size i2np.rst
	// gives as typical.
	m := &ShortTunnelBuild{Records: make([]ShortBuildRecord, 4)}
	wire := "04"
	for i := range m.Records {
		for j := range m.Records[i] {
			m.Records[i][j] = byte(0xa0 + i)
		}
		wire += rep(hex.EncodeToString([]byte{byte(0xa0 + i)}), ShortBuildRecordLen)
	}
	if len(wire)/2 != 873 {
		t.Fatalf("%d bytes", len(wire)/2)
	}
	checkKAT(t, m, wire)
	reply := &OutboundTunnelBuildReply{Records: m.Records}
	checkKAT(t, reply, wire)
	for _, c := range []struct {
		name, wire string
		want       error
	}{
		{"num 0", "00", ErrInvalid},
		{"num 9", "09" + rep("00", 9*ShortBuildRecordLen), ErrInvalid},
		{"long record", wire + "00", ErrTrailing},
		{"528-byte records", "01" + rep("00", BuildRecordLen), ErrTrailing},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseShortTunnelBuild(unhex(t, c.wire)); !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
}

func TestTunnelDataAndBuildSizes(t *testing.T) {
	var d [TunnelDataLen]byte
	d[0], d[1023] = 1, 2
	checkKAT(t, &TunnelData{TunnelID: 0x01000000, Data: &d}, "01000000"+"01"+rep("00", 1022)+"02")
	if _, err := ParseTunnelData(make([]byte, TunnelDataMsgLen)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("zero tunnel: %v", err)
	}
	// TunnelBuild: 8 × 528 = 4224 bytes, no count; VariableTunnelBuild
	// with 4 records: 1 + 4 × 528 = 2113, the typical size of i2np.rst.
	if b, _ := AppendPayload(nil, &TunnelBuild{}); len(b) != 4224 {
		t.Fatalf("TunnelBuild of %d bytes", len(b))
	}
	if b, _ := AppendPayload(nil, &VariableTunnelBuild{Records: make([]BuildRecord, 4)}); len(b) != 2113 || b[0] != 4 {
		t.Fatalf("VariableTunnelBuild of %d bytes", len(b))
	}
	checkKAT(t, &Data{Payload: []byte("hi")}, "00000002"+"6869")
	checkKAT(t, &Garlic{Body: []byte{}}, "00000000")
	if _, err := ParseGarlic(unhex(t, "0000ffff")); !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
}
