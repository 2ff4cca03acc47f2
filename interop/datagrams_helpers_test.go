//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// tally counts the distinct packets "tag|seq|padding" arriving on its
// sockets, per tag, and remembers where each tag last came from.
type tally struct {
	conns []net.PacketConn
	wg    sync.WaitGroup

	mu   sync.Mutex
	seen map[string]map[int]bool
	from map[string]net.Addr
	last map[string]time.Time
}

func newTally(conns ...net.PacketConn) *tally {
	ta := &tally{conns: conns, seen: map[string]map[int]bool{}, from: map[string]net.Addr{}, last: map[string]time.Time{}}
	for _, c := range conns {
		ta.wg.Go(func() { ta.read(c) })
	}
	return ta
}

func (ta *tally) read(c net.PacketConn) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		tag, rest, ok1 := strings.Cut(string(buf[:n]), "|")
		seqs, _, ok2 := strings.Cut(rest, "|")
		seq, err := strconv.Atoi(seqs)
		if !ok1 || !ok2 || err != nil {
			continue
		}
		ta.mu.Lock()
		if ta.seen[tag] == nil {
			ta.seen[tag] = map[int]bool{}
		}
		if !ta.seen[tag][seq] {
			ta.seen[tag][seq] = true
			ta.last[tag] = time.Now()
		}
		ta.from[tag] = from
		ta.mu.Unlock()
	}
}

// close closes the sockets and waits for the readers.
func (ta *tally) close() {
	for _, c := range ta.conns {
		c.Close()
	}
	ta.wg.Wait()
}

func (ta *tally) count(tag string) (int, time.Time) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	return len(ta.seen[tag]), ta.last[tag]
}

func (ta *tally) source(tag string) net.Addr {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	return ta.from[tag]
}

// dgPacket is packet seq of tag, padded to dgPayload bytes.
func dgPacket(tag string, seq int) []byte {
	b := fmt.Appendf(nil, "%s|%d|", tag, seq)
	return append(b, bytes.Repeat([]byte{'.'}, max(0, dgPayload-len(b)))...)
}

// warm sends burst packets of tag, 10 ms apart, every second until one
// arrives (LeaseSet lookups, sessions and tunnels get going), at most
// dgWarmWait, and returns where it came from (nil, and the test failed,
// if none did). A burst of 2 or more has raw datagrams behind the first,
// repliable, one, for receivers of raw datagrams only.
func (ta *tally) warm(t *testing.T, tag string, burst int, send func([]byte) error) net.Addr {
	t0 := time.Now()
	for k := 0; time.Since(t0) < dgWarmWait; k += burst {
		for i := range burst {
			if err := send(dgPacket(tag, k+i)); err != nil {
				t.Errorf("%s: %v", tag, err)
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		for range 20 {
			if a := ta.source(tag); a != nil {
				t.Logf("%s: first packet through after %v (%d sent)", tag, since(t0), k+burst)
				return a
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Errorf("%s: nothing arrived in %v", tag, dgWarmWait)
	return nil
}

// phase sends n packets of tag, gap(i) after packet i, waits for them
// (until all arrived or none for dgQuietAfter), logs the figures and
// checks that at least dgMinShare arrived of those the receiver takes:
// excused, if set, says how many of the n it drops by design.
func (ta *tally) phase(t *testing.T, tag string, n int, gap func(int) time.Duration, send func([]byte) error, excused func() int) {
	start := time.Now()
	for i := range n {
		if err := send(dgPacket(tag, i)); err != nil {
			t.Errorf("%s: %v", tag, err)
			return
		}
		time.Sleep(gap(i))
	}
	sent := time.Now()
	for {
		got, last := ta.count(tag)
		if got >= n || time.Since(last) > dgQuietAfter && time.Since(sent) > dgQuietAfter {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, last := ta.count(tag)
	want, note := n, ""
	if excused != nil {
		if x := excused(); x > 0 {
			want, note = n-x, fmt.Sprintf(" (%d sent repliable, which the receiver drops by design)", x)
		}
	}
	share := float64(got) / float64(want)
	t.Logf("%s: %d of %d delivered (%.1f%%)%s; sent in %v, last arrival %v after the first send",
		tag, got, want, 100*share, note, sent.Sub(start).Round(time.Millisecond), last.Sub(start).Round(time.Millisecond))
	if share < dgMinShare {
		t.Errorf("%s: %.1f%% delivered, want ≥ %.0f%%", tag, 100*share, 100*dgMinShare)
	}
}

// openSAMRaw opens a SAM 3.1 RAW session on the i2pd router in ns with
// case c's SAM keys and encryption type, forwarding what it receives to
// samForwardPort. The session lasts while the returned connection is
// open.
func openSAMRaw(m *mixedNet, ns string, c *dgCase) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dgReadyWait)
	defer cancel()
	conn, err := m.Net.Dialer(ns)(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", samTCPPort))
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(dgReadyWait))
	r := bufio.NewReader(conn)
	ask := func(line string) (string, error) {
		if _, err := conn.Write([]byte(line + "\n")); err != nil {
			return "", err
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("%q: %w", strings.Fields(line)[:2], err)
		}
		if !strings.Contains(reply, "RESULT=OK") {
			return "", fmt.Errorf("%q: %s", strings.Fields(line)[:2], strings.TrimSpace(reply))
		}
		return reply, nil
	}
	if _, err := ask("HELLO VERSION MIN=3.0 MAX=3.1"); err != nil {
		conn.Close()
		return nil, err
	}
	priv := c.sam.Bytes()
	_, err = ask(fmt.Sprintf("SESSION CREATE STYLE=RAW ID=%s DESTINATION=%s HOST=127.0.0.1 PORT=%d i2cp.leaseSetEncType=%s %s",
		c.name, data.EncodeBase64(priv), samForwardPort, c.encType, strings.Join(strings.Fields(strings.ReplaceAll(i2pdPoolShape, " = ", "=")), " ")))
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// samRawSender sends packets as raw datagrams of SAM session id to the
// destination dest (Base64) through SAM's UDP port: "3.0 id dest\n" and
// the payload.
func samRawSender(pc net.PacketConn, samUDP net.Addr, id, dest string) func([]byte) error {
	head := []byte("3.0 " + id + " " + dest + "\n")
	return func(b []byte) error {
		_, err := pc.WriteTo(append(append([]byte(nil), head...), b...), samUDP)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return err
	}
}
