package sam

import (
	"bytes"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-i2p/i2pkeys"
	"github.com/go-i2p/sam3"
)

// TestSAM3 drives the bridge with go-i2p/sam3 v0.33.9, which speaks SAM
// 3.0/3.1 (HELLO VERSION MIN=3.0 MAX=3.1, "3.0" UDP headers): a stream
// both ways, repliable datagrams both ways, a raw datagram out. sam3
// opens its ACCEPT and CONNECT connections to 127.0.0.1:7656 whatever
// address it was given, so the stream part needs that port (skipped when
// it is taken); its raw reader drops every datagram (it skips those from
// the bridge's address, where they come from), so raw receipt is left to
// TestGoSAMGo.
func TestSAM3(t *testing.T) {
	n := newFakeNet()
	host := SAMHost(4)
	startServerAt(t, n, host)
	addr := host + ":7656"
	newSAMAt := func(addr string) *sam3.SAM {
		s, err := sam3.NewSAM(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	newSAM := func() *sam3.SAM { return newSAMAt(addr) }
	keys := func() i2pkeys.I2PKeys {
		k, err := newSAM().NewKeys(sam3.Sig_EdDSA_SHA512_Ed25519)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tag := strconv.Itoa(os.Getpid())
	opts := []string{"inbound.length=1"}

	t.Run("stream", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:7656")
		if err != nil {
			t.Skipf("127.0.0.1:7656 taken: %v", err)
		}
		ln.Close()
		startServerAt(t, n, "127.0.0.1")
		sa, err := newSAMAt("127.0.0.1:7656").NewStreamSession("s3-a-"+tag, keys(), opts)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := newSAMAt("127.0.0.1:7656").NewStreamSession("s3-b-"+tag, keys(), opts)
		if err != nil {
			t.Fatal(err)
		}
		l, err := sa.Listen()
		if err != nil {
			t.Fatal(err)
		}
		msg := bytes.Repeat([]byte("sam3 "), 10000)
		done := acceptOnce(l, msg, "done")
		c, err := sb.DialI2P(sa.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(msg)
		buf := make([]byte, 4)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "done" {
			t.Fatalf("%q %v", buf, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("datagram", func(t *testing.T) {
		da, err := newSAM().NewDatagramSession("s3-da-"+tag, keys(), opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		db, err := newSAM().NewDatagramSession("s3-db-"+tag, keys(), opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ from, to *sam3.DatagramSession }{{da, db}, {db, da}} {
			payload := []byte("sam3 datagram \x00\x01\n" + p.from.B32())
			if _, err := p.from.WriteTo(payload, p.to.LocalI2PAddr()); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4096)
			p.to.SetReadDeadline(time.Now().Add(10 * time.Second))
			m, from, err := p.to.ReadFrom(buf)
			if err != nil || !bytes.Equal(buf[:m], payload) || from.(i2pkeys.I2PAddr).Base32() != p.from.LocalI2PAddr().Base32() {
				t.Fatalf("%q from %v: %v", buf[:m], from, err)
			}
		}
	})
	t.Run("raw", func(t *testing.T) {
		ra, err := newSAM().NewRawSession("s3-ra-"+tag, keys(), opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		sink := newSink(t)
		c := dialSAMAddr(t, addr)
		c.cmd("HELLO VERSION")
		got := c.cmd("SESSION CREATE STYLE=RAW ID=s3-sink-" + tag + " DESTINATION=TRANSIENT PORT=" + sink.port() + " HOST=127.0.0.1")
		dst, err := parsePrivateKeys(field(t, got, "DESTINATION"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ra.WriteTo([]byte("sam3 raw"), i2pkeys.I2PAddr(pubString(dst.Identity))); err != nil {
			t.Fatal(err)
		}
		if p := sink.read(); string(p) != "sam3 raw" {
			t.Fatalf("%q", p)
		}
	})
}

func dialSAMAddr(t *testing.T, addr string) *testClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return newTestClient(t, nc)
}
