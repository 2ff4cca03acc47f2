package sam

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"math/big"
)

func TestStreamConnectAccept(t *testing.T) {
	s := startServer(t, newFakeNet())
	_, ka := session(t, s, "sa", "STREAM", "")
	_, kb := session(t, s, "sb", "STREAM", "")

	acc := hello(t, s)
	if got := acc.cmd("STREAM ACCEPT ID=sa"); got != "STREAM STATUS RESULT=OK" {
		t.Fatalf("accept: %q", got)
	}
	con := hello(t, s)
	if got := con.cmd("STREAM CONNECT ID=sb DESTINATION=" + pubString(ka.Identity) + " TO_PORT=80 FROM_PORT=9"); got != "STREAM STATUS RESULT=OK" {
		t.Fatalf("connect: %q", got)
	}
	if got := acc.line(); got != pubString(kb.Identity)+" FROM_PORT=9 TO_PORT=80" {
		t.Fatalf("peer line: %q", got)
	}
	exchange(t, con, acc, 100000)
	// Half-close passes through: the acceptor sees EOF, can still answer.
	con.nc.(*net.TCPConn).CloseWrite()
	acc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(acc.r); err != nil || len(b) != 0 {
		t.Fatalf("after half-close: %q %v", b, err)
	}
	acc.write("bye")
	acc.nc.(*net.TCPConn).CloseWrite()
	con.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(con.r); string(b) != "bye" || err != nil {
		t.Fatalf("after half-close: %q %v", b, err)
	}
}

func TestStreamSilentAndOldVersion(t *testing.T) {
	s := startServer(t, newFakeNet())
	_, ka := session(t, s, "sa", "STREAM", "")
	session(t, s, "sb", "STREAM", "")

	// SAM 3.1: the peer line is the destination alone; SILENT connect
	// sends no status, and data written with the command goes through.
	acc := dialSAM(t, s)
	acc.cmd("HELLO VERSION MIN=3.1 MAX=3.1")
	if got := acc.cmd("STREAM ACCEPT ID=sa SILENT=false"); got != "STREAM STATUS RESULT=OK" {
		t.Fatalf("accept: %q", got)
	}
	con := hello(t, s)
	con.write("STREAM CONNECT ID=sb SILENT=true DESTINATION=" + ka.Identity.Hash().B32() + "\nearly data")
	line := acc.line()
	if strings.Contains(line, " ") || len(line) < 516 {
		t.Fatalf("3.1 peer line: %q", line)
	}
	buf := make([]byte, len("early data"))
	acc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(acc.r, buf); err != nil || string(buf) != "early data" {
		t.Fatalf("early data: %q %v", buf, err)
	}
	exchange(t, con, acc, 5000)

	// SILENT accept: no status, no peer line.
	acc2 := hello(t, s)
	acc2.write("STREAM ACCEPT ID=sa SILENT=true\n")
	time.Sleep(50 * time.Millisecond)
	con2 := hello(t, s)
	if got := con2.cmd("STREAM CONNECT ID=sb DESTINATION=" + pubString(ka.Identity)); got != "STREAM STATUS RESULT=OK" {
		t.Fatalf("connect: %q", got)
	}
	exchange(t, con2, acc2, 3000)
}

// TestSessionResolves: names the session resolves itself (b33
// addresses, in the router) work in STREAM CONNECT and datagrams.
func TestSessionResolves(t *testing.T) {
	n := newFakeNet()
	s := startServer(t, n)
	_, ka := session(t, s, "sa", "STREAM", "")
	session(t, s, "sb", "STREAM", "")
	cd, _ := session(t, s, "dg", "DATAGRAM", "")
	cd2, kd := session(t, s, "dg2", "DATAGRAM", "")
	n.mu.Lock()
	n.aliases["a.i2p"], n.aliases["d.i2p"] = ka.Identity.Hash(), kd.Identity.Hash()
	n.mu.Unlock()
	acc := hello(t, s)
	acc.cmd("STREAM ACCEPT ID=sa")
	con := hello(t, s)
	if got := con.cmd("STREAM CONNECT ID=sb DESTINATION=a.i2p"); got != "STREAM STATUS RESULT=OK" {
		t.Fatalf("connect by alias: %q", got)
	}
	acc.line()
	exchange(t, con, acc, 100)
	if got := hello(t, s).cmd("STREAM CONNECT ID=sb DESTINATION=nobody.i2p"); !strings.HasPrefix(got, "STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE=") {
		t.Errorf("unknown alias: %q", got)
	}
	cd.write("DATAGRAM SEND DESTINATION=d.i2p SIZE=2\nhi")
	if got := cd2.line(); !strings.HasPrefix(got, "DATAGRAM RECEIVED DESTINATION=") || !strings.Contains(got, " SIZE=2 ") {
		t.Fatalf("datagram to an alias: %q", got)
	}
}

func TestStreamErrors(t *testing.T) {
	n := newFakeNet()
	s := startServer(t, n)
	_, ka := session(t, s, "sa", "STREAM", "")
	session(t, s, "dg", "DATAGRAM", "")
	gone := pubString(mustKeys(t).Identity)
	for _, tc := range []struct{ cmd, result string }{
		{"STREAM CONNECT ID=nope DESTINATION=" + gone, "INVALID_ID"},
		{"STREAM CONNECT ID=dg DESTINATION=" + gone, "INVALID_ID"},
		{"STREAM CONNECT ID=sa DESTINATION=" + gone, "CANT_REACH_PEER"},
		{"STREAM CONNECT ID=sa DESTINATION=" + pubString(ka.Identity), "CANT_REACH_PEER"},
		{"STREAM CONNECT ID=sa DESTINATION=garbage", "INVALID_KEY"},
		{"STREAM CONNECT ID=sa", "INVALID_KEY"},
		{"STREAM ACCEPT ID=nope", "INVALID_ID"},
		{"STREAM FORWARD ID=nope PORT=1", "INVALID_ID"},
	} {
		c := hello(t, s)
		got := c.cmd(tc.cmd)
		if field(t, got, "RESULT") != tc.result || !strings.Contains(got, "MESSAGE=") {
			t.Errorf("%.50s: %q", tc.cmd, got)
		}
		c.expectClosed()
	}
	// An ACCEPT whose client leaves is dropped; the next one gets the stream.
	a1 := hello(t, s)
	a1.cmd("STREAM ACCEPT ID=sa")
	a1.nc.Close()
	time.Sleep(50 * time.Millisecond)
	a2 := hello(t, s)
	a2.cmd("STREAM ACCEPT ID=sa")
	_, kb := session(t, s, "sb", "STREAM", "")
	con := hello(t, s)
	if got := con.cmd("STREAM CONNECT ID=sb DESTINATION=" + pubString(ka.Identity)); got != "STREAM STATUS RESULT=OK" {
		t.Fatalf("connect: %q", got)
	}
	if got := a2.line(); !strings.HasPrefix(got, pubString(kb.Identity)) {
		t.Fatalf("peer line: %q", got)
	}
	exchange(t, con, a2, 1000)
}

func TestStreamForward(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "ssl"}[ssl], func(t *testing.T) {
			s := startServer(t, newFakeNet())
			_, ka := session(t, s, "sa", "STREAM", "")
			_, kb := session(t, s, "sb", "STREAM", "")
			var ln net.Listener
			var err error
			if ssl {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			fwd := hello(t, s)
			extra := ""
			if ssl {
				extra = " SSL=true"
			}
			if got := fwd.cmd("STREAM FORWARD ID=sa PORT=" + itoa(port) + " HOST=127.0.0.1" + extra); got != "STREAM STATUS RESULT=OK" {
				t.Fatalf("forward: %q", got)
			}
			if got := hello(t, s).cmd("STREAM ACCEPT ID=sa"); field(t, got, "RESULT") != "I2P_ERROR" {
				t.Errorf("accept beside forward: %q", got)
			}
			for i := range 2 {
				con := hello(t, s)
				if got := con.cmd("STREAM CONNECT ID=sb DESTINATION=" + pubString(ka.Identity)); got != "STREAM STATUS RESULT=OK" {
					t.Fatalf("connect %d: %q", i, got)
				}
				nc, err := ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				srv := &testClient{t: t, nc: nc, r: bufio.NewReader(nc)}
				if got := srv.line(); got != pubString(kb.Identity)+" FROM_PORT=0 TO_PORT=0" {
					t.Fatalf("forwarded peer line: %q", got)
				}
				exchange(t, con, srv, 2000)
				nc.Close()
			}
			// Closing the FORWARD's connection stops forwarding.
			fwd.nc.Close()
			time.Sleep(100 * time.Millisecond)
			acc := hello(t, s)
			if got := acc.cmd("STREAM ACCEPT ID=sa"); got != "STREAM STATUS RESULT=OK" {
				t.Errorf("accept after forward: %q", got)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
