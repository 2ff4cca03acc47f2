package ssu2

import (
	"bytes"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// testMessage is an I2NP Data-type message of size bytes whose payload
// encodes its id, so deliveries can be checked.
func testMessage(id uint32, size int) *transport.Message {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte(id) + byte(i*7)
	}
	return &transport.Message{Type: 20, ID: id, Expiration: time.Now().Add(time.Minute), Payload: p}
}

func checkMessage(t *testing.T, m *transport.Message, size int) {
	t.Helper()
	want := testMessage(m.ID, size)
	if m.Type != want.Type || !bytes.Equal(m.Payload, want.Payload) {
		t.Fatalf("message %d: type %d, %d bytes; want type %d, %d bytes", m.ID, m.Type, len(m.Payload), want.Type, size)
	}
}

func TestLoopbackUDP(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b, sa, sb := pair(t, nodeOptions{}, nodeOptions{})
	if sa.Direction() != transport.Outbound || sb.Direction() != transport.Inbound {
		t.Fatalf("directions %v/%v", sa.Direction(), sb.Direction())
	}
	if sa.Peer() != b.id.RouterInfo().Hash() || sb.Peer() != a.id.RouterInfo().Hash() {
		t.Fatal("peers do not match identities")
	}
	if sa.Transport() != "SSU2" || !sb.RemoteAddr().IsValid() {
		t.Fatalf("transport %q, remote %v", sa.Transport(), sb.RemoteAddr())
	}
	// Bob opens with his RouterInfo.
	if ri := transporttest.WaitFor(t, a.rec.RouterInfos, "Bob's RouterInfo"); ri.Hash() != b.id.RouterInfo().Hash() {
		t.Fatal("RouterInfo block is not Bob's")
	}
	sizes := []int{0, 10, 1000, 1400, 3000, 20000, 65000}
	for i, size := range sizes {
		if err := sa.Send(testMessage(uint32(100+i), size), transport.PriorityNormal); err != nil {
			t.Fatal(err)
		}
		if err := sb.Send(testMessage(uint32(200+i), size), transport.PriorityNormal); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []*node{a, b} {
		got := map[uint32]bool{}
		for range sizes {
			m := transporttest.WaitFor(t, n.rec.Messages, "message")
			checkMessage(t, m, sizes[m.ID%100])
			got[m.ID] = true
		}
		if len(got) != len(sizes) {
			t.Fatalf("got %d distinct messages, want %d", len(got), len(sizes))
		}
	}
	if err := sa.Send(testMessage(1, maxMessageSize+1), transport.PriorityNormal); err == nil {
		t.Fatal("oversized message accepted")
	}
	sa.Close(transport.ReasonNormal)
	if err := transporttest.WaitDone(t, sb); transporttest.Termination(t, err).Reason != transport.ReasonNormal || !transporttest.Termination(t, err).Remote {
		t.Fatalf("b ended with %v, want the peer's reason 0", err)
	}
	if err := transporttest.WaitDone(t, sa); transporttest.Termination(t, err).Remote {
		t.Fatalf("a ended with %v", err)
	}
	st := sa.Stats()
	if st.BytesOut == 0 || st.BytesIn == 0 || st.MsgsOut != uint64(len(sizes)) || st.Established.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("a: %+v", a.tr.Counters())
	t.Logf("b: %+v", b.tr.Counters())
}

// TestTokens: the first dial needs a Token Request; Bob's New Token lets
// the second go straight to Session Request.
func TestTokens(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b, sa, _ := pair(t, nodeOptions{}, nodeOptions{})
	if c := b.tr.Counters(); c.TokenRequests != 1 || c.RetriesSent != 1 {
		t.Fatalf("first dial: %d token requests, %d retries; want 1, 1", c.TokenRequests, c.RetriesSent)
	}
	transporttest.Eventually(t, 5*time.Second, "a New Token", func() bool { return a.tr.tokensOut.len() == 1 })
	sa.Close(transport.ReasonNormal)
	transporttest.WaitDone(t, sa)
	transporttest.WaitFor(t, b.rec.Ends, "b closed")
	s2, err := a.tr.Dial(t.Context(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	transporttest.WaitFor(t, b.rec.Sessions, "second session")
	if c := b.tr.Counters(); c.TokenRequests != 1 || c.RetriesSent != 1 || c.HandshakesIn != 2 {
		t.Fatalf("second dial: %+v; want no new token request or retry", c)
	}
	s2.Close(transport.ReasonNormal)
}

// TestLossyLink runs the data phase over links that lose 5% of the
// packets and reorder 5% both ways: every message arrives, once.
func TestLossyLink(t *testing.T) {
	transporttest.LeakCheck(t)
	var la, lb *transporttest.LossyConn
	a, b, sa, sb := pair(t, lossy(&la, 0.05, 0.05, 1, 0), lossy(&lb, 0.05, 0.05, 2, 0))
	const n = 400
	sizes := func(i int) int { return []int{100, 900, 2500, 7000}[i%4] }
	start := time.Now()
	total := 0
	for i := range n {
		for _, s := range []transport.Session{sa, sb} {
			for {
				err := s.Send(testMessage(uint32(i), sizes(i)), transport.PriorityNormal)
				if err == nil {
					break
				}
				time.Sleep(time.Millisecond) // queue full: wait
			}
		}
		total += sizes(i)
	}
	transporttest.Eventually(t, 60*time.Second, "all messages", func() bool {
		return a.rec.Count() >= n && b.rec.Count() >= n
	})
	el := time.Since(start)
	if a.rec.Count() != n || b.rec.Count() != n || a.rec.Duplicates()+b.rec.Duplicates() != 0 {
		t.Fatalf("received %d/%d, duplicates %d/%d", a.rec.Count(), b.rec.Count(), a.rec.Duplicates(), b.rec.Duplicates())
	}
	for _, r := range []*transporttest.Recorder{a.rec, b.rec} {
		for range min(n, len(r.Messages)) {
			m := <-r.Messages
			checkMessage(t, m, sizes(int(m.ID)))
		}
	}
	sentA, dropA := la.Stats()
	sentB, dropB := lb.Stats()
	t.Logf("%d messages (%d KiB) each way in %v: %.1f KiB/s each way; a sent %d packets (%d lost), b %d (%d lost)",
		n, total>>10, el.Round(time.Millisecond), float64(total)/1024/el.Seconds(), sentA, dropA, sentB, dropB)
}

// TestHandshakeLoss drops the first packet each side sends (Alice's
// Token Request, Bob's Retry): the Token Request is sent again on its
// timer (3 s, then 6 s more) and the session still comes up.
func TestHandshakeLoss(t *testing.T) {
	transporttest.LeakCheck(t)
	var la, lb *transporttest.LossyConn
	start := time.Now()
	_, _, sa, sb := pair(t, lossy(&la, 0, 0, 3, 1), lossy(&lb, 0, 0, 3, 1))
	t.Logf("established after %v", time.Since(start).Round(time.Millisecond))
	sa.Close(transport.ReasonNormal)
	transporttest.WaitDone(t, sb)
}
