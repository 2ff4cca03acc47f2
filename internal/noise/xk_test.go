package noise

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

type cacophonyFile struct {
	Vector struct {
		ProtocolName     string `json:"protocol_name"`
		InitPrologue     string `json:"init_prologue"`
		InitStatic       string `json:"init_static"`
		InitEphemeral    string `json:"init_ephemeral"`
		InitRemoteStatic string `json:"init_remote_static"`
		RespStatic       string `json:"resp_static"`
		RespEphemeral    string `json:"resp_ephemeral"`
		HandshakeHash    string `json:"handshake_hash"`
		Messages         []struct {
			Payload    string `json:"payload"`
			Ciphertext string `json:"ciphertext"`
		} `json:"messages"`
	} `json:"vector"`
}

// xkParty runs one side of Noise XK with this package, the way NTCP2's
// handshake code will (minus I2P's obfuscation and padding):
//
//	<- s
//	...
//	-> e, es
//	<- e, ee
//	-> s, se
type xkParty struct {
	t         *testing.T
	initiator bool
	sym       SymmetricState
	s, e      []byte // private keys
	rs, re    []byte // peer public keys
}

func newXKParty(t *testing.T, initiator bool, name string, prologue, s, e, responderPub []byte) *xkParty {
	p := &xkParty{t: t, initiator: initiator, s: s, e: e}
	p.sym.Init(name)
	p.sym.MixHash(prologue)
	p.sym.MixHash(responderPub) // pre-message: <- s
	if initiator {
		p.rs = responderPub
	}
	return p
}

func (p *xkParty) pub(priv []byte) []byte {
	pub, err := crypto.X25519Public(priv)
	if err != nil {
		p.t.Fatal(err)
	}
	return pub[:]
}

func (p *xkParty) dh(priv, pub []byte) {
	ss, err := crypto.X25519(priv, pub)
	if err != nil {
		p.t.Fatal(err)
	}
	p.sym.MixKey(ss)
}

func (p *xkParty) write(i int, payload []byte) []byte {
	var msg []byte
	switch i {
	case 0: // -> e, es
		ePub := p.pub(p.e)
		msg = append(msg, ePub...)
		p.sym.MixHash(ePub)
		p.dh(p.e, p.rs)
	case 1: // <- e, ee
		ePub := p.pub(p.e)
		msg = append(msg, ePub...)
		p.sym.MixHash(ePub)
		p.dh(p.e, p.re)
	case 2: // -> s, se
		msg = p.sym.EncryptAndHash(msg, p.pub(p.s))
		p.dh(p.s, p.re)
	}
	return p.sym.EncryptAndHash(msg, payload)
}

func (p *xkParty) read(i int, msg []byte) []byte {
	switch i {
	case 0:
		p.re, msg = msg[:32], msg[32:]
		p.sym.MixHash(p.re)
		p.dh(p.s, p.re)
	case 1:
		p.re, msg = msg[:32], msg[32:]
		p.sym.MixHash(p.re)
		p.dh(p.e, p.re)
	case 2:
		rs, err := p.sym.DecryptAndHash(nil, msg[:48])
		if err != nil {
			p.t.Fatalf("message 3 static key: %v", err)
		}
		p.rs, msg = rs, msg[48:]
		p.dh(p.e, p.rs)
	}
	pt, err := p.sym.DecryptAndHash(nil, msg)
	if err != nil {
		p.t.Fatalf("message %d payload: %v", i+1, err)
	}
	return pt
}

// TestCacophonyXK replays the cacophony known-answer vector for
// Noise_XK_25519_ChaChaPoly_SHA256: every handshake message byte, the final
// handshake hash, and the transport messages encrypted with Split's keys.
func TestCacophonyXK(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "cacophony_xk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f cacophonyFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	v := f.Vector
	if len(v.Messages) != 6 {
		t.Fatalf("%d messages", len(v.Messages))
	}
	prologue := hexOf(t, v.InitPrologue)
	respPub := hexOf(t, v.InitRemoteStatic)
	ini := newXKParty(t, true, v.ProtocolName, prologue, hexOf(t, v.InitStatic), hexOf(t, v.InitEphemeral), respPub)
	res := newXKParty(t, false, v.ProtocolName, prologue, hexOf(t, v.RespStatic), hexOf(t, v.RespEphemeral), respPub)
	if !bytes.Equal(res.pub(res.s), respPub) {
		t.Fatal("responder static key does not match init_remote_static")
	}

	for i := range 3 {
		sender, receiver := ini, res
		if i%2 == 1 {
			sender, receiver = res, ini
		}
		payload := hexOf(t, v.Messages[i].Payload)
		msg := sender.write(i, payload)
		if want := hexOf(t, v.Messages[i].Ciphertext); !bytes.Equal(msg, want) {
			t.Fatalf("message %d:\n got %x\nwant %x", i+1, msg, want)
		}
		if got := receiver.read(i, msg); !bytes.Equal(got, payload) {
			t.Fatalf("message %d payload %x, want %x", i+1, got, payload)
		}
	}
	if !bytes.Equal(ini.rs, res.pub(res.s)) || !bytes.Equal(res.rs, ini.pub(ini.s)) {
		t.Fatal("static keys not learned")
	}
	wantH := hexOf(t, v.HandshakeHash)
	for _, p := range []*xkParty{ini, res} {
		if h := p.sym.Hash(); !bytes.Equal(h[:], wantH) {
			t.Fatalf("handshake hash %x, want %x", h, wantH)
		}
	}

	// Transport: k1 carries initiator-to-responder traffic, k2 the other
	// way, each with its own counter from 0 and empty AD.
	iAB, iBA := ini.sym.Split()
	rAB, rBA := res.sym.Split()
	if iAB != rAB || iBA != rBA {
		t.Fatal("Split keys differ between the parties")
	}
	ini.sym.Zero()
	res.sym.Zero()
	var nAB, nBA uint64
	for i := 3; i < 6; i++ {
		key, n := &iAB, &nAB
		if i%2 == 1 {
			key, n = &iBA, &nBA
		}
		payload := hexOf(t, v.Messages[i].Payload)
		ct := crypto.ChaChaPolySeal(key, *n, nil, payload, nil)
		if want := hexOf(t, v.Messages[i].Ciphertext); !bytes.Equal(ct, want) {
			t.Fatalf("transport message %d:\n got %x\nwant %x", i+1, ct, want)
		}
		*n++
	}
}
