package streaming

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// A pong exactly as i2pd 2.45 builds it (Stream::HandlePing): a zero
// 22-byte header but for receiveStreamId (the ping's sendStreamId) and the
// ECHO flag, then the ping's payload.
func TestParsePongAsI2pdWritesIt(t *testing.T) {
	b, _ := hex.DecodeString("00000000" + "1234abcd" + "00000000" + "00000000" + "00" + "00" + "0200" + "0000" + "707061796c6f6164")
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.SendStreamID != 0 || p.RecvStreamID != 0x1234abcd || p.Flags != FlagEcho || string(p.Payload) != "ppayload" {
		t.Fatalf("parsed %v %q", p, p.Payload)
	}
	// And ours is the same bytes.
	pong := &Packet{RecvStreamID: 0x1234abcd, Flags: FlagEcho, Payload: []byte("ppayload")}
	got, _ := pong.Append(nil)
	if !bytes.Equal(got, b) {
		t.Fatalf("our pong\n%x\nwant\n%x", got, b)
	}
}

// The option order is fixed whatever the order of the flag bits, and bit 0
// is the low bit of the flags field (streaming.rst, "Flags and Option Data
// Fields"): a packet with DELAY (bit 6) and MAX_PACKET_SIZE (bit 7) and
// two NACKs, laid out by hand.
func TestPacketLayout(t *testing.T) {
	want, _ := hex.DecodeString("" +
		"00000001" + "00000002" + "00000003" + "00000004" + // IDs, seq, ackThrough
		"02" + "00000005" + "00000006" + // two NACKs
		"09" + "00c0" + "0004" + // resend delay, flags DELAY|MAXSIZE, 4 option bytes
		"03e8" + "0714" + // delay 1000, max size 1812
		"6869") // payload "hi"
	p := &Packet{SendStreamID: 1, RecvStreamID: 2, Seq: 3, AckThrough: 4, NACKs: []uint32{5, 6}, ResendDelay: 9,
		Flags: FlagDelayRequested | FlagMaxPacketSize, Delay: 1000, MaxSize: 1812, Payload: []byte("hi")}
	got, err := p.Append(nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Append: %x, %v\nwant %x", got, err, want)
	}
	q, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if d := packetDiff(p, q); d != "" {
		t.Fatal(d)
	}
}

func TestParseErrors(t *testing.T) {
	ok, _ := (&Packet{Flags: FlagDelayRequested, Delay: 5}).Append(nil)
	for name, b := range map[string][]byte{
		"empty":            nil,
		"short header":     ok[:21],
		"NACKs past end":   append(append([]byte(nil), ok[:16]...), 9, 0, 0, 0, 0, 0, 0),
		"options past end": append(append([]byte(nil), ok[:18]...), 0, 0x40, 0, 9),
		"delay truncated":  append(append([]byte(nil), ok[:18]...), 0, 0x40, 0, 1, 0),
		"bad FROM":         append(append([]byte(nil), ok[:18]...), 0, 0x20, 0, 3, 1, 2, 3),
		"offline no FROM":  append(append([]byte(nil), ok[:18]...), 0x08, 0x00, 0, 0),
		"sig flag, no sig": append(append([]byte(nil), ok[:18]...), 0, 0x08, 0, 0),
		"too long":         make([]byte, MaxPacketLen+1),
	} {
		if _, err := Parse(b); !errors.Is(err, ErrPacket) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// packetDiff names the first field where a and b differ ("" if none).
func packetDiff(a, b *Packet) string {
	switch {
	case a.SendStreamID != b.SendStreamID || a.RecvStreamID != b.RecvStreamID:
		return "stream IDs"
	case a.Seq != b.Seq || a.AckThrough != b.AckThrough || a.ResendDelay != b.ResendDelay:
		return "sequence, ack or resend delay"
	case !slices.Equal(a.NACKs, b.NACKs):
		return "NACKs"
	case a.Flags != b.Flags:
		return fmt.Sprintf("flags %v, %v", a.Flags, b.Flags)
	case a.Delay != b.Delay || a.MaxSize != b.MaxSize:
		return "delay or max size"
	case !bytes.Equal(a.From.Bytes(), b.From.Bytes()):
		return "FROM"
	case !a.Offline.Equal(b.Offline) && (a.Offline.Len() > 6 || b.Offline.Len() > 6):
		return "offline signature"
	case !bytes.Equal(a.Signature, b.Signature):
		return "signature"
	case !bytes.Equal(a.Payload, b.Payload):
		return "payload"
	}
	return ""
}

// genPacket draws a packet with any combination of options.
func genPacket(t *rapid.T, from data.Destination, offline data.OfflineSignature) *Packet {
	p := &Packet{
		SendStreamID: rapid.Uint32().Draw(t, "send"),
		RecvStreamID: rapid.Uint32().Draw(t, "recv"),
		Seq:          rapid.Uint32().Draw(t, "seq"),
		AckThrough:   rapid.Uint32().Draw(t, "ack"),
		NACKs:        rapid.SliceOfN(rapid.Uint32(), 0, 255).Draw(t, "nacks"),
		ResendDelay:  rapid.Uint8().Draw(t, "rd"),
		Flags:        Flags(rapid.Uint16Range(0, 0x7ff).Draw(t, "flags")),
		Payload:      rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "payload"),
	}
	if len(p.NACKs) == 0 {
		p.NACKs = nil
	}
	if p.Has(FlagDelayRequested) {
		p.Delay = rapid.Uint16().Draw(t, "delay")
	}
	if p.Has(FlagMaxPacketSize) {
		p.MaxSize = rapid.Uint16().Draw(t, "max")
	}
	if rapid.Bool().Draw(t, "offline") {
		p.Flags |= FlagOfflineSignature | FlagFromIncluded
		p.Offline = offline
	}
	if p.Has(FlagFromIncluded) {
		p.From = from
	}
	if p.Has(FlagSignatureIncluded) {
		p.Signature = rapid.SliceOfN(rapid.Byte(), 1, 132).Draw(t, "sig")
	}
	return p
}

func TestPacketRoundTrip(t *testing.T) {
	keys := newKeys(t)
	transient, off := offlineKeys(t, keys)
	_ = transient
	rapid.Check(t, func(t *rapid.T) {
		p := genPacket(t, keys.Identity, off)
		b, err := p.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != p.Len() {
			t.Fatalf("Len %d, wrote %d", p.Len(), len(b))
		}
		q, err := Parse(b)
		if err != nil {
			t.Fatalf("parse %v: %v", p, err)
		}
		if d := packetDiff(p, q); d != "" {
			t.Fatal(d)
		}
	})
}

// offlineKeys makes a transient Ed25519 key certified by keys, good for a
// day, and returns the private keys that sign with it.
func offlineKeys(t testing.TB, keys *keyfile.PrivateKeys) (*keyfile.PrivateKeys, data.OfflineSignature) {
	t.Helper()
	longTerm, err := keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	tr := newKeys(t)
	trSigner, _ := tr.Signer()
	exp := data.SecondsOf(time.Now().Add(24 * time.Hour))
	o, err := data.NewOfflineSignature(longTerm, exp, crypto.SigEdDSASHA512, trSigner.Public())
	if err != nil {
		t.Fatal(err)
	}
	off := &keyfile.PrivateKeys{Identity: keys.Identity, EncPrivate: keys.EncPrivate, Offline: &keyfile.Offline{
		Expires: uint32(exp), TransientType: crypto.SigEdDSASHA512, TransientPublic: trSigner.Public(),
		Signature: o.Signature, TransientPrivate: trSigner.Private()}}
	return off, o
}

func TestSignVerify(t *testing.T) {
	keys := newKeys(t)
	offKeys, _ := offlineKeys(t, keys)
	for name, k := range map[string]*keyfile.PrivateKeys{"ed25519": keys, "offline": offKeys} {
		id, err := newIdentity(k)
		if err != nil {
			t.Fatal(err)
		}
		p := &Packet{RecvStreamID: 7, Flags: FlagSynchronize | FlagMaxPacketSize, MaxSize: 1812, Payload: []byte("GET /")}
		p.SetReplayHash(data.HashOf([]byte("bob")))
		id.withFrom(p)
		b, err := id.sign(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h, ok := q.ReplayHash(); !ok || h != data.HashOf([]byte("bob")) {
			t.Errorf("%s: replay hash %x %v", name, h, ok)
		}
		v, err := fromVerifier(q, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := v.verify(q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "offline" && (v.typ != crypto.SigEdDSASHA512 || bytes.Equal(v.key, keys.Identity.SigningPublicKey())) {
			t.Errorf("offline: verified with the long-term key")
		}
		// Any changed byte breaks it, header, options or payload.
		for _, i := range []int{0, 12, 17, len(b) - 1} {
			bad := bytes.Clone(b)
			bad[i] ^= 1
			if q, err := Parse(bad); err == nil && v.verify(q) == nil {
				t.Errorf("%s: byte %d changed, still verifies", name, i)
			}
		}
		// An expired offline signature is refused.
		if name == "offline" {
			if _, err := fromVerifier(q, time.Now().Add(48*time.Hour)); !errors.Is(err, ErrSignature) {
				t.Errorf("expired offline signature: %v", err)
			}
		}
	}
}

func TestFlagsString(t *testing.T) {
	if s := (FlagSynchronize | FlagEcho | 1<<14).String(); s != "SYN|ECHO|0x4000" {
		t.Errorf("%q", s)
	}
}
