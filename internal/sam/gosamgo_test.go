package sam

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	sam3 "github.com/go-i2p/go-sam-go"
	"github.com/go-i2p/go-sam-go/datagram"
	"github.com/go-i2p/go-sam-go/datagram2"
	"github.com/go-i2p/go-sam-go/datagram3"
	"github.com/go-i2p/go-sam-go/raw"
	"github.com/go-i2p/i2pkeys"
)

// go-sam-go (v0.33.1, SAM 3.3) drives the bridge: it sends datagrams to
// the UDP port 7655 of the SAM host whatever the configuration, so each
// bridge gets a loopback address of its own with ports 7656 and 7655.

// SAMHost picks a loopback address for a bridge on 7656/7655.
func SAMHost(i int) string {
	return fmt.Sprintf("127.0.%d.%d", 100+os.Getpid()%100, 10+i)
}

func startServerAt(t testing.TB, n *fakeNet, host string) *Server {
	t.Helper()
	var log *slog.Logger
	if os.Getenv("VEIL_SAM_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := Listen(Config{Address: host + ":7656", UDPAddress: host + ":7655", Router: n, Log: log})
	if err != nil {
		t.Skipf("no bridge on %s (7656/7655 taken?): %v", host, err)
	}
	serveInBackground(t, s)
	return s
}

// GoSAMScenario runs go-sam-go's stream, datagram, raw and PRIMARY
// sessions between two bridges at hostA and hostB (ports 7656/7655).
func GoSAMScenario(t *testing.T, hostA, hostB string, opts []string, wait time.Duration) {
	// go-sam-go runs one session per SAM connection.
	newSAM := func(host string) *sam3.SAM {
		t.Helper()
		s, err := sam3.NewSAM(host + ":7656")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	// New keys for each pair of sessions: go-sam-go's Close leaves the
	// session's connection open, so its destination stays in use.
	newKeys := func(host string) i2pkeys.I2PKeys {
		t.Helper()
		k, err := newSAM(host).NewKeys("7")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tag := strconv.Itoa(os.Getpid())

	t.Run("stream", func(t *testing.T) {
		sa, err := newSAM(hostA).NewStreamSession("gsg-sa-"+tag, newKeys(hostA), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer sa.Close()
		sb, err := newSAM(hostB).NewStreamSession("gsg-sb-"+tag, newKeys(hostB), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		l, err := sa.Listen()
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		msg := bytes.Repeat([]byte("go-sam-go stream "), 4000)
		done := acceptOnce(l, msg, "answer")
		var c net.Conn
		deadline := time.Now().Add(wait)
		for {
			c, err = sb.DialI2P(sa.Addr())
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		c.SetReadDeadline(time.Now().Add(wait))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "answer" {
			t.Fatalf("answer %q: %v", buf, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("datagram", func(t *testing.T) {
		da, err := newSAM(hostA).NewDatagramSession("gsg-da-"+tag, newKeys(hostA), opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer da.Close()
		db, err := newSAM(hostB).NewDatagramSession("gsg-db-"+tag, newKeys(hostB), opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		exchangeDatagrams(t, wait, "repliable",
			func(p []byte) error { return da.SendDatagram(p, db.Addr()) },
			func(p []byte) error { return db.SendDatagram(p, da.Addr()) },
			recvRepliable(db),
			recvRepliable(da), da.Addr().Base64(), db.Addr().Base64())
	})
	t.Run("raw", func(t *testing.T) {
		ra, err := raw.NewRawSession(newSAM(hostA).SAM, "gsg-ra-"+tag, newKeys(hostA), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer ra.Close()
		rb, err := raw.NewRawSession(newSAM(hostB).SAM, "gsg-rb-"+tag, newKeys(hostB), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer rb.Close()
		exchangeDatagrams(t, wait, "raw",
			func(p []byte) error { return ra.SendDatagram(p, rb.Addr()) },
			func(p []byte) error { return rb.SendDatagram(p, ra.Addr()) },
			recvRaw(rb),
			recvRaw(ra), "", "")
	})
	t.Run("datagram2", func(t *testing.T) {
		da, err := datagram2.NewDatagram2Session(newSAM(hostA).SAM, "gsg-d2a-"+tag, newKeys(hostA), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer da.Close()
		db, err := datagram2.NewDatagram2Session(newSAM(hostB).SAM, "gsg-d2b-"+tag, newKeys(hostB), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		recv := func(s *datagram2.Datagram2Session) func() ([]byte, string, error) {
			return func() ([]byte, string, error) {
				d, err := s.ReceiveDatagram()
				if err != nil {
					return nil, "", err
				}
				return d.Data, d.Source.Base64(), nil
			}
		}
		exchangeDatagrams(t, wait, "datagram2",
			func(p []byte) error { return da.SendDatagram(p, db.Addr()) },
			func(p []byte) error { return db.SendDatagram(p, da.Addr()) },
			recv(db), recv(da), da.Addr().Base64(), db.Addr().Base64())
	})
	t.Run("datagram3", func(t *testing.T) {
		da, err := datagram3.NewDatagram3Session(newSAM(hostA).SAM, "gsg-d3a-"+tag, newKeys(hostA), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer da.Close()
		db, err := datagram3.NewDatagram3Session(newSAM(hostB).SAM, "gsg-d3b-"+tag, newKeys(hostB), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		pa, pb := da.PacketConn(), db.PacketConn()
		recv := func(pc net.PacketConn) func() ([]byte, string, error) {
			return func() ([]byte, string, error) {
				buf := make([]byte, 65536)
				n, _, err := pc.ReadFrom(buf)
				return buf[:n], "", err
			}
		}
		send := func(pc net.PacketConn, to i2pkeys.I2PAddr) func([]byte) error {
			return func(p []byte) error { _, err := pc.WriteTo(p, to); return err }
		}
		exchangeDatagrams(t, wait, "datagram3", send(pa, db.Addr()), send(pb, da.Addr()), recv(pb), recv(pa), "", "")
	})
	t.Run("primary", func(t *testing.T) {
		p, err := newSAM(hostA).NewPrimarySession("gsg-p-"+tag, newKeys(hostA), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		// FROM_PORT=0: the subsession takes streams to every port (go-sam-go
		// would pick a port of its own, which peers dialing port 0 miss).
		ps, err := p.NewStreamSubSession("gsg-p-s-"+tag, []string{"FROM_PORT=0"})
		if err != nil {
			t.Fatal(err)
		}
		pd, err := p.NewDatagramSubSession("gsg-p-d-"+tag, nil)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := p.NewRawSubSession("gsg-p-r-"+tag, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.SubSessionCount() != 3 {
			t.Fatalf("%d subsessions", p.SubSessionCount())
		}
		sb, err := newSAM(hostB).NewStreamSession("gsg-p-sb-"+tag, newKeys(hostB), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		db, err := newSAM(hostB).NewDatagramSession("gsg-p-db-"+tag, newKeys(hostB), opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rb, err := raw.NewRawSession(newSAM(hostB).SAM, "gsg-p-rb-"+tag, newKeys(hostB), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer rb.Close()

		// A stream from B's session to the primary's stream subsession.
		l, err := ps.Listen()
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		accepted := make(chan error, 1)
		go func() {
			c, err := l.Accept()
			if err == nil {
				_, err = c.Write([]byte("from primary"))
				c.Close()
			}
			accepted <- err
		}()
		c, err := sb.DialI2P(p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 12)
		c.SetReadDeadline(time.Now().Add(wait))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "from primary" {
			t.Fatalf("stream: %q %v", buf, err)
		}
		c.Close()
		if err := <-accepted; err != nil {
			t.Fatal(err)
		}
		exchangeDatagrams(t, wait, "primary repliable",
			func(b []byte) error { return pd.SendDatagram(b, db.Addr()) },
			func(b []byte) error { return db.SendDatagram(b, p.Addr()) },
			recvRepliable(db),
			recvRepliable(pd), p.Addr().Base64(), db.Addr().Base64())
		exchangeDatagrams(t, wait, "primary raw",
			func(b []byte) error { return pr.SendDatagram(b, rb.Addr()) },
			func(b []byte) error { return rb.SendDatagram(b, p.Addr()) },
			recvRaw(rb),
			recvRaw(pr), "", "")
	})
}

// acceptOnce accepts one stream on l, checks that it brings msg, and
// answers; the result comes on the channel.
func acceptOnce(l interface{ Accept() (net.Conn, error) }, msg []byte, answer string) chan error {
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil {
			done <- err
			return
		}
		if !bytes.Equal(buf, msg) {
			done <- fmt.Errorf("accepted side got other bytes")
			return
		}
		_, err = c.Write([]byte(answer))
		done <- err
	}()
	return done
}

// recvRepliable and recvRaw read one datagram of a go-sam-go session.
func recvRepliable(s interface {
	ReceiveDatagram() (*datagram.Datagram, error)
}) func() ([]byte, string, error) {
	return func() ([]byte, string, error) {
		d, err := s.ReceiveDatagram()
		if err != nil {
			return nil, "", err
		}
		return d.Data, d.Source.Base64(), nil
	}
}

func recvRaw(s interface {
	ReceiveDatagram() (*raw.RawDatagram, error)
}) func() ([]byte, string, error) {
	return func() ([]byte, string, error) {
		d, err := s.ReceiveDatagram()
		if err != nil {
			return nil, "", err
		}
		return d.Data, "", nil
	}
}

// exchangeDatagrams sends numbered datagrams a to b and b to a until one
// arrives each way (datagrams may be lost while LeaseSets spread), and
// checks payloads byte for byte and, when given, the sender.
func exchangeDatagrams(t *testing.T, wait time.Duration, kind string, sendAB, sendBA func([]byte) error,
	recvB, recvA func() ([]byte, string, error), addrA, addrB string) {
	t.Helper()
	for _, dir := range []struct {
		name string
		send func([]byte) error
		recv func() ([]byte, string, error)
		from string
	}{{"a to b", sendAB, recvB, addrA}, {"b to a", sendBA, recvA, addrB}} {
		payload := bytes.Repeat([]byte(kind+" "+dir.name+" \x00\xff\n"), 100)
		got := make(chan error, 1)
		go func() {
			p, from, err := dir.recv()
			if err == nil && !bytes.Equal(p, payload) {
				err = fmt.Errorf("payload of %d bytes differs", len(p))
			}
			if err == nil && dir.from != "" && from != dir.from {
				err = fmt.Errorf("from %.20s…, want %.20s…", from, dir.from)
			}
			got <- err
		}()
		deadline := time.Now().Add(wait)
	send:
		for {
			if err := dir.send(payload); err != nil {
				t.Fatalf("%s %s: send: %v", kind, dir.name, err)
			}
			select {
			case err := <-got:
				if err != nil {
					t.Fatalf("%s %s: %v", kind, dir.name, err)
				}
				break send
			case <-time.After(2 * time.Second):
				if time.Now().After(deadline) {
					t.Fatalf("%s %s: nothing received in %v", kind, dir.name, wait)
				}
			}
		}
	}
}

func TestGoSAMGo(t *testing.T) {
	n := newFakeNet()
	a, b := SAMHost(0), SAMHost(1)
	startServerAt(t, n, a)
	startServerAt(t, n, b)
	GoSAMScenario(t, a, b, []string{"inbound.length=1"}, 20*time.Second)
}
