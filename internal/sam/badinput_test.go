package sam

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// replyForm is the exact shape of a reply line: two upper-case words,
// then KEY=VALUE pairs separated by one space, a value quoted only when
// it holds a space (libtorrent splits at spaces and "=").
var replyForm = regexp.MustCompile(`^[A-Z]+ [A-Z]+( [A-Za-z_:.]+=([^ "]+|"[^"\\]*( [^"\\]*)+"))*$`)

// TestLibtorrentTranscript replays, byte for byte, what libtorrent 2.0.9
// and later send (src/i2p_stream.cpp) and checks each reply's form.
func TestLibtorrentTranscript(t *testing.T) {
	s := startServer(t, newFakeNet())
	id := "0123456789abcdef0123456789abcdef01234567" // 40 hex, as libtorrent makes them
	check := func(c *testClient, send, prefix string) string {
		t.Helper()
		c.write(send)
		got := c.line()
		if !strings.HasPrefix(got, prefix) || !replyForm.MatchString(got) {
			t.Fatalf("after %q: %q", send, got)
		}
		return got
	}
	ctl := dialSAM(t, s)
	check(ctl, "HELLO VERSION MIN=3.1 MAX=3.1\n", "HELLO REPLY RESULT=OK VERSION=3.1")
	got := check(ctl, "SESSION CREATE STYLE=STREAM ID="+id+" DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 inbound.quantity=3 outbound.quantity=3 inbound.length=3 outbound.length=3\n",
		"SESSION STATUS RESULT=OK DESTINATION=")
	if strings.Count(got, " ") != 3 {
		t.Fatalf("session status: %q", got)
	}
	got = check(ctl, "NAMING LOOKUP NAME=ME\n", "NAMING REPLY RESULT=OK NAME=ME VALUE=")
	me := field(t, got, "VALUE")

	// A second libtorrent (another session) connects to the first.
	ctl2 := dialSAM(t, s)
	check(ctl2, "HELLO VERSION MIN=3.1 MAX=3.1\n", "HELLO REPLY RESULT=OK VERSION=3.1")
	id2 := strings.Repeat("f", 40)
	got = check(ctl2, "SESSION CREATE STYLE=STREAM ID="+id2+" DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 inbound.quantity=3 outbound.quantity=3 inbound.length=3 outbound.length=3\n",
		"SESSION STATUS RESULT=OK DESTINATION=")
	other := check(ctl2, "NAMING LOOKUP NAME=ME\n", "NAMING REPLY RESULT=OK NAME=ME VALUE=")

	acc := dialSAM(t, s)
	check(acc, "HELLO VERSION MIN=3.1 MAX=3.1\n", "HELLO REPLY RESULT=OK VERSION=3.1")
	check(acc, "STREAM ACCEPT ID="+id+"\n", "STREAM STATUS RESULT=OK")
	con := dialSAM(t, s)
	check(con, "HELLO VERSION MIN=3.1 MAX=3.1\n", "HELLO REPLY RESULT=OK VERSION=3.1")
	// libtorrent looks the peer up, then connects to what it got.
	got = check(con, "NAMING LOOKUP NAME="+me+"\n", "NAMING REPLY RESULT=OK NAME=")
	check(con, "STREAM CONNECT ID="+id2+" DESTINATION="+field(t, got, "VALUE")+"\n", "STREAM STATUS RESULT=OK")
	// The peer's destination alone on the next line, then the stream.
	if line := acc.line(); line != field(t, other, "VALUE") {
		t.Fatalf("peer line: %q", line)
	}
	exchange(t, con, acc, 20000)
}

// goroutines waits until the count of goroutines is back to at most n.
func goroutinesBackTo(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > n {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, %d before:\n%s", g, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestBadInput(t *testing.T) {
	base := runtime.NumGoroutine()
	n := newFakeNet()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Listen(Config{Address: "127.0.0.1:0", UDPAddress: "127.0.0.1:0", Router: n,
		HelloTimeout: 300 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(ctx)
	}()

	t.Run("random bytes", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for i := range 50 {
			b := make([]byte, r.IntN(3000))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			c := dialSAM(t, s)
			if i%2 == 1 {
				c.cmd("HELLO VERSION")
			}
			c.nc.Write(b)
			c.nc.(*net.TCPConn).CloseWrite()
			c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			out, err := io.ReadAll(c.r)
			if err != nil {
				t.Fatalf("%d: %v", i, err)
			}
			for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
				if l != "" && !strings.Contains(l, "RESULT=") && !strings.HasPrefix(l, "PONG") {
					t.Fatalf("%d: reply %q", i, l)
				}
			}
			c.nc.Close()
		}
		hello(t, s) // still serving
	})
	t.Run("overlong line", func(t *testing.T) {
		c := hello(t, s)
		go c.nc.Write(bytes.Repeat([]byte("A"), 3*MaxLine))
		got := c.line()
		if !strings.HasPrefix(got, "SESSION STATUS RESULT=I2P_ERROR MESSAGE=\"sam: bad command: line longer than") {
			t.Fatalf("%q", got)
		}
		c.expectClosed()
	})
	t.Run("half-open", func(t *testing.T) {
		var cs []*testClient
		for range 20 {
			cs = append(cs, dialSAM(t, s))
		}
		for _, c := range cs {
			if got := c.line(); !strings.HasPrefix(got, "HELLO REPLY RESULT=I2P_ERROR MESSAGE=\"no HELLO VERSION within") {
				t.Fatalf("%q", got)
			}
			c.expectClosed()
		}
		// HELLO sent in pieces is fine, within the time.
		c := dialSAM(t, s)
		c.write("HEL")
		time.Sleep(50 * time.Millisecond)
		if got := c.cmd("LO VERSION"); got != "HELLO REPLY RESULT=OK VERSION=3.3" {
			t.Fatalf("%q", got)
		}
	})
	t.Run("1000 sessions", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		for w := range 25 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 {
					nc, err := net.Dial("tcp", s.Addr().String())
					if err != nil {
						errs <- err
						return
					}
					fmt.Fprintf(nc, "HELLO VERSION\nSESSION CREATE STYLE=%s ID=s%d-%d DESTINATION=TRANSIENT SIGNATURE_TYPE=7\n",
						[]string{"STREAM", "DATAGRAM", "RAW", "PRIMARY"}[i%4], w, i)
					nc.SetReadDeadline(time.Now().Add(20 * time.Second))
					buf := make([]byte, 4096)
					got := ""
					for strings.Count(got, "\n") < 2 {
						m, err := nc.Read(buf)
						if err != nil {
							errs <- err
							break
						}
						got += string(buf[:m])
					}
					if !strings.Contains(got, "SESSION STATUS RESULT=OK") {
						errs <- fmt.Errorf("%q", got)
					}
					nc.Close() // dropped: the session must end
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for (n.live() != 0 || s.Counters().ActiveSessions != 0) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n.live() != 0 || s.Counters().ActiveSessions != 0 || len(s.sessions) != 0 {
			t.Fatalf("%d router sessions, %d bridge sessions left", n.live(), s.Counters().ActiveSessions)
		}
	})
	t.Run("client never reads", func(t *testing.T) {
		c, _ := session(t, s, "deaf", "DATAGRAM", "")
		_, kb := session(t, s, "talker", "DATAGRAM", "")
		_ = kb
		me := c.cmd("NAMING LOOKUP NAME=ME")
		dst := field(t, me, "VALUE")
		big := bytes.Repeat([]byte("x"), 30000)
		// Far more than the socket buffers hold: the queue drops, the
		// write times out, the session ends; nothing blocks.
		c.nc.(*net.TCPConn).SetReadBuffer(4096)
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; s.lookupSub("deaf") != nil && time.Now().Before(deadline); i++ {
			sendUDP(t, s, append([]byte("3.3 talker "+dst+"\n"), big...))
			if i%10 == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if s.lookupSub("deaf") != nil {
			t.Fatal("session of a client that never reads still open")
		}
	})
	cancel()
	<-served
	goroutinesBackTo(t, base)
}
