package streaming

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// serve accepts connections on l and answers each with f until l closes.
func serve(t testing.TB, l net.Listener, f func(net.Conn)) {
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				f(c)
			}()
		}
	}()
}

// echo copies what it reads back until EOF, then closes its side.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.(*Conn).CloseWrite()
}

func dial(t testing.TB, a, b *Manager, port uint16) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := a.DialPorts(ctx, b.Addr().Hash, 0, port)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// roundTrip writes size random bytes through an echo and checks what
// comes back.
func roundTrip(t testing.TB, c *Conn, size int) {
	t.Helper()
	msg := make([]byte, size)
	rand.Read(msg)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		if err == nil {
			err = c.CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (got %d of %d bytes)", err, len(got), size)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if sha256.Sum256(got) != sha256.Sum256(msg) {
		t.Fatalf("echo: got %d bytes, want %d, or they differ", len(got), size)
	}
}

func TestEcho(t *testing.T) {
	n := newFakeNet(20*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l, err := b.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, l, echo)
	c := dial(t, a, b, 80)
	defer c.Close()
	roundTrip(t, c, 300<<10)
	if got := c.RemoteAddr().String(); got != b.Addr().Hash.B32()+":80" {
		t.Errorf("RemoteAddr %s", got)
	}
	if c.RemoteDestination().Hash() != b.Addr().Hash {
		t.Error("RemoteDestination is not b's")
	}
}

func TestEchoLossReorder(t *testing.T) {
	n := newFakeNet(50*time.Millisecond, 30*time.Millisecond, 0.05)
	a, b := pair(t, n, nil)
	l, _ := b.Listen(0)
	serve(t, l, echo)
	c := dial(t, a, b, 7)
	defer c.Close()
	roundTrip(t, c, 200<<10)
	t.Logf("stats %+v, network lost %d of %d", c.Stats(), n.lost.Load(), n.sent.Load())
}

func TestSmallWritesBundle(t *testing.T) {
	n := newFakeNet(10*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l, _ := b.Listen(0)
	got := make(chan []byte, 1)
	serve(t, l, func(c net.Conn) {
		d, _ := io.ReadAll(c)
		got <- d
	})
	c := dial(t, a, b, 1)
	for i := range 100 {
		c.Write([]byte{byte(i)})
	}
	c.Close()
	d := <-got
	if len(d) != 100 {
		t.Fatalf("got %d bytes", len(d))
	}
	if s := c.Stats(); s.Sent > 10 {
		t.Errorf("100 one-byte writes took %d packets", s.Sent)
	}
}

func TestHalfClose(t *testing.T) {
	n := newFakeNet(10*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l, _ := b.Listen(0)
	serve(t, l, func(c net.Conn) {
		req, _ := io.ReadAll(c) // until the client's CloseWrite
		c.Write(append([]byte("re: "), req...))
	})
	c := dial(t, a, b, 1)
	defer c.Close()
	c.Write([]byte("hello"))
	c.CloseWrite()
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("write after CloseWrite succeeded")
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "re: hello" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestDeadlines(t *testing.T) {
	n := newFakeNet(10*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l, _ := b.Listen(0)
	serve(t, l, func(c net.Conn) { io.Copy(io.Discard, c) })
	c := dial(t, a, b, 1)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err := c.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("deadline took %v", d)
	}
	// A deadline set while Read waits wakes it.
	c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		c.SetReadDeadline(time.Now())
	}()
	if _, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with a deadline moved: %v", err)
	}
	// Write blocks on a full buffer and times out.
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	n.setDrop(dropAll)
	if _, err := c.Write(make([]byte, 4<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past the deadline: %v", err)
	}
}

func TestRefusedNoListener(t *testing.T) {
	n := newFakeNet(10*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.Dial(ctx, b.Addr().Hash, 80)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("dial without a listener: %v", err)
	}
}

func TestDialTimeout(t *testing.T) {
	n := newFakeNet(10*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	b.Listen(0)
	n.setDrop(dropAll)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := a.Dial(ctx, b.Addr().Hash, 80); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial into the void: %v", err)
	}
}

// acceptedPair is a connection from a to b and b's end of it, which the
// server holds open for two seconds.
func acceptedPair(t *testing.T, n *fakeNet) (a, b *Manager, c *Conn, s net.Conn) {
	a, b = pair(t, n, nil)
	l, _ := b.Listen(0)
	accepted := make(chan net.Conn, 1)
	serve(t, l, func(c net.Conn) {
		accepted <- c
		time.Sleep(2 * time.Second)
	})
	c = dial(t, a, b, 1)
	return a, b, c, <-accepted
}

// writeUntilReset writes to w until a write fails with ErrReset.
func writeUntilReset(t *testing.T, w net.Conn) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := w.Write([]byte("late"))
		if errors.Is(err, ErrReset) {
			return
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("write to a closed peer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestResetAfterClose(t *testing.T) {
	_, _, c, s := acceptedPair(t, newFakeNet(10*time.Millisecond, 0, 0))
	c.Close()
	// Data after our Close is answered with a RESET: the server's writes
	// fail.
	writeUntilReset(t, s)
}

func TestPeerGone(t *testing.T) {
	a, b, n := sinkPair(t, func(o *Options) {
		o.InitialRTO = 100 * time.Millisecond
		o.MinRTO = 100 * time.Millisecond
		o.MaxResends = 2
	})
	c := dial(t, a, b, 1)
	defer c.Close()
	c.Write([]byte("hi"))
	time.Sleep(100 * time.Millisecond)
	n.setDrop(dropAll)
	c.Write([]byte("anyone?"))
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("read from a vanished peer: %v", err)
	}
}

func TestKeepAlive(t *testing.T) {
	a, b, _ := sinkPair(t, func(o *Options) { o.InactivityTimeout = 100 * time.Millisecond })
	c := dial(t, a, b, 1)
	defer c.Close()
	c.mu.Lock()
	c.jitter = 0
	c.mu.Unlock()
	time.Sleep(time.Second)
	// The jitter of the other side is up to 10 s: ours sends.
	if s := c.Stats(); s.Sent < 2 {
		t.Errorf("%d packets sent in 10 inactivity timeouts", s.Sent)
	}
}

func TestChoke(t *testing.T) {
	n := newFakeNet(5*time.Millisecond, 0, 0)
	o := testOptions()
	o.MaxWindow = 16
	o.InitialWindow = 16
	a, b := pair(t, n, &o)
	l, _ := b.Listen(0)
	release := make(chan struct{})
	got := make(chan []byte, 1)
	serve(t, l, func(c net.Conn) {
		<-release // let the buffer fill
		d, err := io.ReadAll(c)
		if err != nil {
			t.Errorf("read: %v", err)
		}
		got <- d
	})
	c := dial(t, a, b, 1)
	msg := make([]byte, 200<<10) // more than 18 packets of buffer
	rand.Read(msg)
	go func() {
		c.Write(msg)
		c.Close()
	}()
	time.Sleep(500 * time.Millisecond)
	c.mu.Lock()
	choked := c.snd.choked
	c.mu.Unlock()
	if !choked {
		t.Error("sender not choked by a full receiver")
	}
	close(release)
	select {
	case d := <-got:
		if !bytes.Equal(d, msg) {
			t.Fatalf("got %d bytes, want %d", len(d), len(msg))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("transfer did not finish after unchoke")
	}
}

// A RESET that is lost is sent again when the peer's packets keep coming
// for the ended stream.
func TestResetRepeatedForDeadStream(t *testing.T) {
	n := newFakeNet(5*time.Millisecond, 0, 0)
	_, b, c, s := acceptedPair(t, n)
	defer c.Close()
	var dropped sync.Once
	n.setDrop(func(from, _ data.Hash, p *Packet) bool {
		first := false
		if from == b.Addr().Hash && p.Has(FlagReset) {
			dropped.Do(func() { first = true })
		}
		return first
	})
	s.Close()
	writeUntilReset(t, c)
	if d := b.Counters(); d.Unknown != 0 {
		t.Errorf("counters %+v", d)
	}
}
