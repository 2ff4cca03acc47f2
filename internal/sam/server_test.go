package sam

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// testClient is a raw SAM client for the tests.
type testClient struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func dialSAM(t testing.TB, s *Server) *testClient {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return newTestClient(t, nc)
}

func newTestClient(t testing.TB, nc net.Conn) *testClient {
	return &testClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// hello opens a connection and says HELLO VERSION (3.3).
func hello(t testing.TB, s *Server) *testClient {
	t.Helper()
	c := dialSAM(t, s)
	if got := c.cmd("HELLO VERSION MIN=3.0 MAX=3.3"); got != "HELLO REPLY RESULT=OK VERSION=3.3" {
		t.Fatalf("hello: %q", got)
	}
	return c
}

func (c *testClient) write(s string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatal(err)
	}
}

// line reads one line (without "\n"), within 20 s.
func (c *testClient) line() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (after %q)", err, l)
	}
	return strings.TrimSuffix(l, "\n")
}

func (c *testClient) cmd(s string) string {
	c.t.Helper()
	c.write(s + "\n")
	return c.line()
}

// expectClosed checks that the bridge closes the connection.
func (c *testClient) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c.r)
	if err != nil && strings.Contains(err.Error(), "connection reset") {
		err = nil // closed with our unread bytes in its buffer
	}
	if err != nil || len(b) != 0 {
		c.t.Fatalf("not closed: %q %v", b, err)
	}
}

// field returns the value of key in a reply line.
func field(t testing.TB, line, key string) string {
	t.Helper()
	c, err := ParseCommand(line)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	v, ok := c.Get(key)
	if !ok {
		t.Fatalf("%q has no %s", line, key)
	}
	return v
}

// session creates a session and returns its connection and private key.
func session(t testing.TB, s *Server, id, style, extra string) (*testClient, *keyfile.PrivateKeys) {
	t.Helper()
	c := hello(t, s)
	got := c.cmd("SESSION CREATE STYLE=" + style + " ID=" + id + " DESTINATION=TRANSIENT SIGNATURE_TYPE=7 " + extra)
	if !strings.HasPrefix(got, "SESSION STATUS RESULT=OK DESTINATION=") {
		t.Fatalf("create %s: %q", id, got)
	}
	pk, err := parsePrivateKeys(field(t, got, "DESTINATION"))
	if err != nil {
		t.Fatal(err)
	}
	return c, pk
}

func TestHello(t *testing.T) {
	s := startServer(t, newFakeNet())
	for _, tc := range []struct{ in, want string }{
		{"HELLO VERSION", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MIN=3.1 MAX=3.1", "HELLO REPLY RESULT=OK VERSION=3.1"},
		{"hello version min=3 max=3", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MIN=3.0 MAX=3.0", "HELLO REPLY RESULT=OK VERSION=3.0"},
		{"HELLO VERSION MAX=3.2", "HELLO REPLY RESULT=OK VERSION=3.2"},
		{`HELLO VERSION USER="u" PASSWORD="p"`, "HELLO REPLY RESULT=OK VERSION=3.3"},
	} {
		c := dialSAM(t, s)
		if got := c.cmd(tc.in); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
		}
	}
	c := dialSAM(t, s)
	if got := c.cmd("HELLO VERSION MIN=1 MAX=2"); !strings.HasPrefix(got, "HELLO REPLY RESULT=NOVERSION") {
		t.Errorf("v1/2: %q", got)
	}
	c.expectClosed()
	c = dialSAM(t, s)
	if got := c.cmd("SESSION CREATE STYLE=STREAM ID=x DESTINATION=TRANSIENT"); !strings.HasPrefix(got, "HELLO REPLY RESULT=I2P_ERROR MESSAGE=") {
		t.Errorf("no hello: %q", got)
	}
	c.expectClosed()
}

func TestUtilityCommands(t *testing.T) {
	s := startServer(t, newFakeNet())
	c := hello(t, s)
	if got := c.cmd("PING 1234 abc"); got != "PONG 1234 abc" {
		t.Errorf("ping: %q", got)
	}
	if got := c.cmd("PING"); got != "PONG" {
		t.Errorf("ping: %q", got)
	}
	if got := c.cmd("HELP"); !strings.HasPrefix(got, "HELP REPLY RESULT=OK MESSAGE=\"") {
		t.Errorf("help: %q", got)
	}
	for _, in := range []string{"FOO BAR", "STREAM BOGUS", "SESSION FOO", "DEST FOO", "NAMING FOO", "AUTH ENABLE", "HELLO VERSION"} {
		got := c.cmd(in)
		if !strings.Contains(got, "RESULT=I2P_ERROR MESSAGE=\"") {
			t.Errorf("%s: %q", in, got)
		}
	}
	if got := c.cmd("QUIT"); !strings.HasPrefix(got, "SESSION STATUS RESULT=OK") {
		t.Errorf("quit: %q", got)
	}
	c.expectClosed()
	for _, q := range []string{"STOP", "EXIT"} {
		c := hello(t, s)
		c.cmd(q)
		c.expectClosed()
	}
}

func TestDestGenerate(t *testing.T) {
	s := startServer(t, newFakeNet())
	c := hello(t, s)
	for _, tc := range []struct {
		arg  string
		want crypto.SigType
	}{
		{"", crypto.SigDSASHA1},
		{"SIGNATURE_TYPE=0", crypto.SigDSASHA1},
		{"SIGNATURE_TYPE=DSA_SHA1", crypto.SigDSASHA1},
		{"SIGNATURE_TYPE=1", crypto.SigECDSASHA256P256},
		{"SIGNATURE_TYPE=ecdsa_sha256_p256", crypto.SigECDSASHA256P256},
		{"SIGNATURE_TYPE=2", crypto.SigECDSASHA384P384},
		{"SIGNATURE_TYPE=ECDSA_SHA512_P521", crypto.SigECDSASHA512P521},
		{"SIGNATURE_TYPE=7", crypto.SigEdDSASHA512},
		{"SIGNATURE_TYPE=EdDSA_SHA512_Ed25519", crypto.SigEdDSASHA512},
		{"SIGNATURE_TYPE=11", crypto.SigRedDSASHA512},
		{"SIGNATURE_TYPE=7 CRYPTO_TYPE=4", crypto.SigEdDSASHA512},
	} {
		got := c.cmd("DEST GENERATE " + tc.arg)
		if !strings.HasPrefix(got, "DEST REPLY PUB=") || strings.Count(got, " ") != 3 {
			t.Fatalf("%s: %q", tc.arg, got)
		}
		pub, err := parseDestination(field(t, got, "PUB"))
		if err != nil {
			t.Fatal(err)
		}
		pk, err := parsePrivateKeys(field(t, got, "PRIV"))
		if err != nil {
			t.Fatalf("%s: %v", tc.arg, err)
		}
		if pub.SigType() != tc.want || pk.Identity.Hash() != pub.Hash() {
			t.Errorf("%s: type %v", tc.arg, pub.SigType())
		}
		// Unpadded Base64, as some clients store it, is taken too.
		if _, err := parsePrivateKeys(strings.TrimRight(field(t, got, "PRIV"), "=")); err != nil {
			t.Errorf("unpadded: %v", err)
		}
	}
	for _, bad := range []string{"SIGNATURE_TYPE=4", "SIGNATURE_TYPE=RSA_SHA512_4096", "SIGNATURE_TYPE=8", "SIGNATURE_TYPE=99", "SIGNATURE_TYPE=foo", "CRYPTO_TYPE=9"} {
		if got := c.cmd("DEST GENERATE " + bad); !strings.HasPrefix(got, "DEST REPLY RESULT=I2P_ERROR MESSAGE=\"") {
			t.Errorf("%s: %q", bad, got)
		}
	}
}

func TestNamingLookup(t *testing.T) {
	n := newFakeNet()
	s := startServer(t, n)
	c, pk := session(t, s, "named", "STREAM", "")
	me := pubString(pk.Identity)
	if got := c.cmd("NAMING LOOKUP NAME=ME"); got != "NAMING REPLY RESULT=OK NAME=ME VALUE="+me {
		t.Errorf("ME: %q", got)
	}
	b32 := pk.Identity.Hash().B32()
	n.mu.Lock()
	n.options[pk.Identity.Hash()] = []Pair{{"_smtp._tcp", "1 86400 0 0 25 x.b32.i2p"}, {"bad=key", "v"}, {"k", "multi\nline"}}
	n.mu.Unlock()
	other := hello(t, s)
	if got := other.cmd("NAMING LOOKUP NAME=" + b32); got != "NAMING REPLY RESULT=OK NAME="+b32+" VALUE="+me {
		t.Errorf("b32: %q", got)
	}
	if got := other.cmd("NAMING LOOKUP NAME=" + strings.ToUpper(b32[:52]) + ".b32.i2p"); field(t, got, "VALUE") != me {
		t.Errorf("upper-case b32: %q", got)
	}
	want := "NAMING REPLY RESULT=OK NAME=" + b32 + " VALUE=" + me + ` OPTION:_smtp._tcp="1 86400 0 0 25 x.b32.i2p"`
	if got := other.cmd("NAMING LOOKUP NAME=" + b32 + " OPTIONS=true"); got != want {
		t.Errorf("options: %q", got)
	}
	if got := other.cmd("NAMING LOOKUP NAME=" + me); got != "NAMING REPLY RESULT=OK NAME="+me+" VALUE="+me {
		t.Errorf("base64: %q", got)
	}
	if got := other.cmd("NAMING LOOKUP NAME=" + strings.TrimRight(me, "=")); field(t, got, "VALUE") != me {
		t.Errorf("unpadded base64: %q", got)
	}
	gone := data.HashOf([]byte("nobody")).B32()
	for _, tc := range []struct{ name, result string }{
		{gone, "KEY_NOT_FOUND"},
		{gone + " OPTIONS=true", "LEASESET_NOT_FOUND"},
		{"unknown.i2p", "KEY_NOT_FOUND"},
		{"ME", "INVALID_KEY"},
		{"!!!notbase64", "INVALID_KEY"},
		{"", "INVALID_KEY"},
	} {
		got := other.cmd("NAMING LOOKUP NAME=" + tc.name)
		if field(t, got, "RESULT") != tc.result || !strings.Contains(got, "MESSAGE=") {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
}

func TestSessionCreateErrors(t *testing.T) {
	n := newFakeNet()
	s := startServer(t, n)
	c, pk := session(t, s, "dup", "STREAM", "inbound.length=1 i2cp.leaseSetEncType=4,0 inbound.quantity=2")
	n.mu.Lock()
	opts := n.opened[0].Options
	n.mu.Unlock()
	if opts["inbound.length"] != "1" || opts["i2cp.leaseSetEncType"] != "4,0" || opts["ID"] != "" || opts["STYLE"] != "" || len(opts) != 3 {
		t.Errorf("options passed on: %v", opts)
	}
	if got := c.cmd("SESSION CREATE STYLE=STREAM ID=again DESTINATION=TRANSIENT"); field(t, got, "RESULT") != "I2P_ERROR" {
		t.Errorf("second session on a connection: %q", got)
	}
	priv := privString(pk)
	for _, tc := range []struct{ args, result string }{
		{"STYLE=STREAM ID=dup DESTINATION=TRANSIENT", "DUPLICATED_ID"},
		{"STYLE=STREAM ID=other DESTINATION=" + priv, "DUPLICATED_DEST"},
		{"STYLE=STREAM ID=bad DESTINATION=AAAA", "INVALID_KEY"},
		{"STYLE=STREAM ID=bad DESTINATION=" + pubString(pk.Identity), "INVALID_KEY"},
		{"STYLE=BOGUS ID=bad DESTINATION=TRANSIENT", "I2P_ERROR"},
		{"ID=bad DESTINATION=TRANSIENT", "I2P_ERROR"},
		{"STYLE=STREAM DESTINATION=TRANSIENT", "I2P_ERROR"},
		{"STYLE=STREAM ID=bad", "I2P_ERROR"},
		{"STYLE=RAW ID=bad DESTINATION=TRANSIENT PROTOCOL=6", "I2P_ERROR"},
		{"STYLE=RAW ID=bad DESTINATION=TRANSIENT FROM_PORT=70000", "I2P_ERROR"},
		{"STYLE=STREAM ID=bad DESTINATION=TRANSIENT SIGNATURE_TYPE=6", "I2P_ERROR"},
	} {
		c := hello(t, s)
		got := c.cmd("SESSION CREATE " + tc.args)
		if field(t, got, "RESULT") != tc.result || !strings.Contains(got, "MESSAGE=") {
			t.Errorf("%.60s: %q", tc.args, got)
		}
	}
	// A persistent destination is taken back once its session ended.
	c.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for n.live() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c2 := hello(t, s)
	got := c2.cmd("SESSION CREATE STYLE=STREAM ID=dup DESTINATION=" + strings.TrimRight(priv, "="))
	if got != "SESSION STATUS RESULT=OK DESTINATION="+priv {
		t.Errorf("persistent: %q", got)
	}
}

// transcript exchanges bytes both ways over a connected pair.
func exchange(t *testing.T, a, b *testClient, size int) {
	t.Helper()
	msg := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	go func() { a.nc.Write(msg) }()
	got := make([]byte, size)
	b.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(b.r, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("a to b: %v", err)
	}
	go func() { b.nc.Write(msg) }()
	a.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(a.r, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("b to a: %v", err)
	}
}
