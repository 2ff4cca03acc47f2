package ntcp2

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// TestLoopbackTCP runs two listening transports over real sockets: both
// directions, messages of every size up to the largest, and a flood that
// meets the queue cap.
func TestLoopbackTCP(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{listen: true})
	b := newNode(t, nodeOptions{listen: true})
	sa, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	sb := transporttest.WaitFor(t, b.rec.Sessions, "b established")
	if !sa.RemoteAddr().IsValid() || sa.RemoteAddr().Port() != uint16(b.ln.Addr().(*net.TCPAddr).AddrPort().Port()) {
		t.Fatalf("remote addr %v", sa.RemoteAddr())
	}
	exp := time.Now().Add(time.Minute)
	for _, size := range []int{0, 1, 1000, 16 << 10, 60 << 10, MaxMessagePayload} {
		for _, pair := range []struct {
			from transport.Session
			to   *recorder
		}{{sa, b.rec}, {sb, a.rec}} {
			m := &transport.Message{Type: 18, ID: uint32(size), Expiration: exp, Payload: bytes.Repeat([]byte{byte(size)}, size)}
			if err := pair.from.Send(m, transport.PriorityLow); err != nil {
				t.Fatal(err)
			}
			got := transporttest.WaitFor(t, pair.to.Messages, "message")
			if got.ID != m.ID || !bytes.Equal(got.Payload, m.Payload) {
				t.Fatalf("size %d: got id %d, %d bytes", size, got.ID, len(got.Payload))
			}
		}
	}
	if err := sa.Send(&transport.Message{Payload: make([]byte, MaxMessagePayload+1)}, 0); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("oversized send: %v", err)
	}
	// A flood: the sender retries on ErrQueueFull, nothing is lost.
	const n = 3000
	base := b.rec.Count()
	full := 0
	for i := 0; i < n; {
		err := sa.Send(&transport.Message{Type: 1, ID: uint32(i), Expiration: exp, Payload: make([]byte, 1024)}, transport.PriorityNormal)
		switch {
		case errors.Is(err, transport.ErrQueueFull):
			full++
			time.Sleep(time.Millisecond)
		case err != nil:
			t.Fatal(err)
		default:
			i++
		}
	}
	transporttest.Eventually(t, 5*time.Second, "flood delivered", func() bool { return b.rec.Count() == base+n })
	if st := sa.Stats(); st.Dropped != uint64(full) {
		t.Fatalf("dropped %d, queue-full errors %d", st.Dropped, full)
	}
	// Either side may also dial the other: sessions are per connection.
	sb2, err := b.tr.Dial(context.Background(), a.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	transporttest.WaitFor(t, a.rec.Sessions, "a established (outbound)")
	transporttest.WaitFor(t, a.rec.Sessions, "a established (inbound)")
	sb2.Close(transport.ReasonNormal)
	transporttest.WaitDone(t, sb2)
}

// TestShutdown: Run's end closes every session with reason 3.
func TestShutdown(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{})
	b := newNode(t, nodeOptions{})
	pipeTo(a, b)
	sa, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	transporttest.WaitFor(t, b.rec.Sessions, "b established")
	b.tr.shutdown()
	if te := transporttest.Termination(t, transporttest.WaitDone(t, sa)); !te.Remote || te.Reason != transport.ReasonRouterShutdown {
		t.Fatalf("got %v", te)
	}
	if _, err := b.tr.Dial(context.Background(), a.id.RouterInfo()); err == nil {
		t.Fatal("dial after shutdown")
	}
}

// TestIdleTimeout runs in fake time: with no I2NP either way the session
// ends after IdleTimeout with reason 2, even though DateTime blocks flow.
func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		idle := func(c *Config) { c.IdleTimeout = 5 * time.Minute }
		_, _, sa, sb := pipePair(t, nodeOptions{mod: idle}, nodeOptions{mod: idle})
		start := time.Now()
		time.Sleep(4 * time.Minute)
		if err := sa.Send(&transport.Message{Type: 1, Payload: []byte("x")}, 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if sa.Err() != nil || sb.Err() != nil {
			t.Fatal("closed early")
		}
		<-sa.Done()
		<-sb.Done()
		if d := time.Since(start); d < 9*time.Minute || d > 9*time.Minute+time.Second {
			t.Fatalf("idle close after %v, want 9m", d)
		}
		te := transporttest.Termination(t, sa.Err())
		if te.Reason != transport.ReasonIdleTimeout {
			t.Fatalf("got %v", te)
		}
	})
}

// TestKeepAlive: one side with KeepAlive keeps a quiet session up on both
// sides, as veil must with an i2pd peer that sends nothing (i2pd, like
// this package, counts frames either way as activity).
func TestKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		idle := func(c *Config) { c.IdleTimeout = 2 * time.Minute }
		keep := func(c *Config) { c.IdleTimeout = 2 * time.Minute; c.KeepAlive = 50 * time.Second }
		_, _, sa, sb := pipePair(t, nodeOptions{mod: keep}, nodeOptions{mod: idle})
		in0 := sb.Stats().BytesIn
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if sa.Err() != nil || sb.Err() != nil {
			t.Fatalf("closed: %v / %v", sa.Err(), sb.Err())
		}
		// 30 min / at most 50 s between frames: at least 36 keepalives.
		if got := sb.Stats().BytesIn - in0; got < 36*(2+16+3+4) {
			t.Fatalf("peer received %d bytes of keepalives in 30 min", got)
		}
		sa.Close(transport.ReasonNormal)
		<-sa.Done()
		<-sb.Done()
	})
}

// frameOf encrypts one data-phase plaintext with Alice's writer.
func sendPlain(t *testing.T, fw *frameWriter, p []byte) {
	t.Helper()
	if _, err := fw.writeFrame(func(b []byte) []byte { return append(b, p...) }); err != nil {
		t.Fatal(err)
	}
}

// readTermination reads Bob's frames until a Termination block.
func readTermination(t *testing.T, fr *frameReader) uint8 {
	t.Helper()
	for {
		p, err := fr.readFrame()
		if err != nil {
			t.Fatalf("no Termination: %v", err)
		}
		var reason = -1
		err = parseBlocks(p, func(typ uint8, d []byte) error {
			if typ == blockTermination {
				_, r, err := parseTermination(d)
				reason = int(r)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if reason >= 0 {
			return uint8(reason)
		}
	}
}

// TestBadFrames sends Bob broken data-phase frames by hand.
func TestBadFrames(t *testing.T) {
	i2np := appendI2NP(nil, &transport.Message{Type: 1, ID: 7, Expiration: time.Now().Add(time.Minute), Payload: []byte("ok")})
	for _, tc := range []struct {
		name   string
		send   func(t *testing.T, c io.Writer, fw *frameWriter)
		reason uint8
	}{
		{"AEAD tamper", func(t *testing.T, c io.Writer, fw *frameWriter) {
			fw.w = flipWriter{c}
			sendPlain(t, fw, i2np)
		}, transport.ReasonDataPhaseAEAD},
		{"length below the MAC", func(t *testing.T, c io.Writer, fw *frameWriter) {
			var h [2]byte
			binary.BigEndian.PutUint16(h[:], 5^fw.sip.Next())
			c.Write(h[:])
		}, transport.ReasonAEADFramingError},
		{"block overruns the frame", func(t *testing.T, c io.Writer, fw *frameWriter) {
			sendPlain(t, fw, []byte{blockI2NP, 0xff, 0xff, 1, 2, 3})
		}, transport.ReasonPayloadFormat},
		{"padding not last", func(t *testing.T, c io.Writer, fw *frameWriter) {
			sendPlain(t, fw, append(appendPadding(nil, 2), i2np...))
		}, transport.ReasonPayloadFormat},
		{"short I2NP block", func(t *testing.T, c io.Writer, fw *frameWriter) {
			sendPlain(t, fw, appendBlock(nil, blockI2NP, []byte{1, 2, 3}))
		}, transport.ReasonPayloadFormat},
		{"bad DateTime", func(t *testing.T, c io.Writer, fw *frameWriter) {
			sendPlain(t, fw, appendBlock(nil, blockDateTime, []byte{1, 2, 3}))
		}, transport.ReasonPayloadFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transporttest.LeakCheck(t)
			a, b := newNode(t, nodeOptions{}), newNode(t, nodeOptions{})
			c, fw, fr := rawAlice(t, a, b)
			defer c.Close()
			sb := transporttest.WaitFor(t, b.rec.Sessions, "b established")
			// An unknown block type is skipped, the I2NP after it delivered.
			sendPlain(t, fw, append(appendBlock(nil, 200, []byte("future")), i2np...))
			if m := transporttest.WaitFor(t, b.rec.Messages, "message"); m.ID != 7 {
				t.Fatalf("got %+v", m)
			}
			go tc.send(t, c, fw)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if r := readTermination(t, fr); r != tc.reason {
				t.Fatalf("termination reason %d, want %d", r, tc.reason)
			}
			if te := transporttest.Termination(t, transporttest.WaitDone(t, sb)); te.Remote || te.Reason != tc.reason {
				t.Fatalf("bob's error %v", te)
			}
		})
	}
}

type flipWriter struct{ w io.Writer }

func (f flipWriter) Write(p []byte) (int, error) {
	q := bytes.Clone(p)
	q[len(q)-1] ^= 1
	return f.w.Write(q)
}

// TestTruncatedFrame: the peer vanishes mid-frame; Bob's session ends
// with the read error, nothing is delivered.
func TestTruncatedFrame(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b := newNode(t, nodeOptions{}), newNode(t, nodeOptions{})
	c, fw, _ := rawAlice(t, a, b)
	sb := transporttest.WaitFor(t, b.rec.Sessions, "b established")
	var h [2]byte
	binary.BigEndian.PutUint16(h[:], 1000^fw.sip.Next())
	c.Write(append(h[:], make([]byte, 100)...))
	c.Close()
	if err := transporttest.WaitDone(t, sb); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
	if len(b.rec.Messages) != 0 {
		t.Fatal("delivered a message from a truncated frame")
	}
}
