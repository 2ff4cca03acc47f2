//go:build interop && linux

package ntcp2

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// TestInteropI2pd speaks NTCP2 with a real i2pd 2.45.1 at the wire level,
// in both directions. i2pd 2.45.1 drops peers on loopback and private
// ranges, so each side gets a network namespace on 198.18.0.0/24 (RFC 2544,
// never routed) joined by a bridge in a third namespace; i2pdtest.Network
// creates and deletes all three, and i2pd is stopped by its PID. Root only.
//
//  1. i2pd dials veil: veil's RouterInfo (a floodfill at 198.18.0.200) is
//     planted in i2pd's netDb before it starts, so i2pd publishes its own
//     RouterInfo to veil with a DatabaseStore over NTCP2.
//  2. veil dials i2pd (from its router.info): i2pd sends its RouterInfo
//     block first; veil asks it for veil's own RouterInfo with a
//     DatabaseLookup and gets a DatabaseStore back; the session stays up
//     while DateTime blocks flow; veil terminates with reason 0.
//  3. Negative cases against i2pd: another network id, a skewed clock.
func TestInteropI2pd(t *testing.T) {
	i2pdtest.Require(t)
	transporttest.LeakCheck(t)
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
	nsI, addrI := n.Add("i2pd", 10)
	nsV, addrV := n.Add("veil", 200)
	const veilPort = 12345
	const netID = 99

	// veil: identity, RouterInfo, listener inside its namespace.
	veil := newInteropIdentity(t, addrV, veilPort, netID)
	ln := listenInNetns(t, nsV, net.JoinHostPort(addrV, strconv.Itoa(veilPort)))

	// i2pd, with veil's RouterInfo in its netDb.
	dd := t.TempDir()
	if _, err := i2pdtest.InstallRouterInfo(filepath.Join(dd, "netDb"), veil.RouterInfo().Bytes()); err != nil {
		t.Fatal(err)
	}
	r := i2pdtest.Start(t, i2pdtest.Config{DataDir: dd, NetID: netID, Netns: nsI, Host: addrI, LogLevel: "debug",
		Options: map[string]string{"ssu2.enabled": "false"}})
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitLog("NetDb: 1 routers loaded", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	i2pdRI := readI2pdRouterInfo(t, r)
	t.Logf("i2pd %s at %s:%d, veil %s at %s:%d", i2pdRI.Hash(), addrI, r.Config().Port, veil.RouterInfo().Hash(), addrV, veilPort)

	rec := transporttest.NewRecorder()
	rec.Messages = make(chan *transport.Message, 256)
	tr, err := New(Config{
		NetID: netID, StaticKeys: veil.Static, RouterInfo: veil.RouterInfo, Handler: rec,
		ListenAddrs: []string{ln.Addr().String()},
		Listen:      func(context.Context, string, string) (net.Listener, error) { return ln, nil },
		DialContext: n.Dialer(nsV),
		Logger:      slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- tr.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-ran:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return")
		}
	}()

	// 1. i2pd -> veil.
	t.Run("i2pd dials veil", func(t *testing.T) {
		s := waitSession(t, rec, 60*time.Second, "i2pd's inbound session")
		if s.Direction() != transport.Inbound || s.Peer() != i2pdRI.Hash() {
			t.Fatalf("session %v from %v, want inbound from i2pd", s.Direction(), s.Peer())
		}
		t.Logf("inbound session from i2pd %s at %v (SessionConfirmed RouterInfo published %v)",
			s.Peer(), s.RemoteAddr(), s.PeerRouterInfo().Published.Time())
		ih := i2pdRI.Hash()
		m := waitMessage(t, rec, 60*time.Second, func(m *transport.Message) bool {
			return m.Type == 1 && len(m.Payload) > 32 && bytes.Equal(m.Payload[:32], ih[:])
		})
		key, typ, ri := parseDatabaseStore(t, m.Payload)
		if key != i2pdRI.Hash() || typ != 0 || ri.Hash() != i2pdRI.Hash() {
			t.Fatalf("DatabaseStore for %s type %d", key, typ)
		}
		t.Logf("i2pd -> veil I2NP DatabaseStore (id %d): its RouterInfo, %d bytes, signature valid", m.ID, len(ri.Bytes()))
		expectConsole(t, r, "veil's address on i2pd's transports page", addrV+":"+strconv.Itoa(veilPort))
		s.Close(transport.ReasonNormal)
		transporttest.WaitDone(t, s)
		if _, err := r.WaitLog("NTCP2: Termination. reason=0", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	})

	// 2. veil -> i2pd.
	t.Run("veil dials i2pd", func(t *testing.T) {
		dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer dcancel()
		s, err := tr.Dial(dctx, i2pdRI)
		if err != nil {
			t.Fatalf("dial: %v; i2pd log:\n%s", err, grepLines(r.Log(), "NTCP2"))
		}
		waitSession(t, rec, 5*time.Second, "outbound Established")
		t.Logf("outbound session to i2pd %s at %v", s.Peer(), s.RemoteAddr())
		// i2pd opens with its RouterInfo: a RouterInfo block to a peer it
		// knows, a DatabaseStore message to a new one (Transports::PeerConnected).
		// i2pd opens with its RouterInfo: a RouterInfo block to a peer it
		// knows, a DatabaseStore message to a new one (Transports::PeerConnected);
		// as we claim to be a floodfill, lookups may come first.
		gotRI := false
		for deadline := time.After(10 * time.Second); !gotRI; {
			select {
			case ri := <-rec.RouterInfos:
				if ri.Hash() != i2pdRI.Hash() {
					t.Fatalf("RouterInfo block from %s", ri.Hash())
				}
				t.Log("i2pd -> veil RouterInfo block")
				gotRI = true
			case m := <-rec.Messages:
				t.Logf("received I2NP type %d id %d, %d bytes", m.Type, m.ID, len(m.Payload))
				if m.Type == 1 {
					if key, typ, ri := parseDatabaseStore(t, m.Payload); key == i2pdRI.Hash() && typ == 0 && ri.Hash() == key {
						t.Log("i2pd -> veil DatabaseStore of its RouterInfo")
						gotRI = true
					}
				}
			case <-deadline:
				t.Fatal("i2pd sent no RouterInfo")
			}
		}

		// DatabaseLookup for our own RouterInfo, reply direct.
		us := veil.RouterInfo().Hash()
		lookup := append(append(append([]byte(nil), us[:]...), us[:]...), 0x08, 0, 0)
		id := uint32(time.Now().UnixNano())
		if err := s.Send(&transport.Message{Type: 2, ID: id, Expiration: time.Now().Add(time.Minute), Payload: lookup}, transport.PriorityHigh); err != nil {
			t.Fatal(err)
		}
		isOurs := func(m *transport.Message) bool {
			return m.Type == 1 && len(m.Payload) > 32 && bytes.Equal(m.Payload[:32], us[:])
		}
		m := waitMessage(t, rec, 20*time.Second, isOurs)
		key, typ, got := parseDatabaseStore(t, m.Payload)
		if key != us || typ != 0 || !bytes.Equal(got.Bytes(), veil.RouterInfo().Bytes()) {
			t.Fatalf("reply DatabaseStore for %s type %d", key, typ)
		}
		t.Logf("veil -> i2pd DatabaseLookup (id %d) answered by a DatabaseStore of our own RouterInfo (id %d)", id, m.ID)
		if err := s.SendRouterInfo(veil.RouterInfo(), false); err != nil {
			t.Fatal(err)
		}
		if _, err := r.WaitLog("NTCP2: RouterInfo flag=0", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		expectConsole(t, r, "veil's session on i2pd's transports page", addrV)

		// Stay up: DateTime blocks and nothing else for a while.
		select {
		case <-s.Done():
			t.Fatalf("session ended: %v", s.Err())
		case <-time.After(20 * time.Second):
		}
		if err := s.Send(&transport.Message{Type: 2, ID: id + 1, Expiration: time.Now().Add(time.Minute), Payload: lookup}, transport.PriorityHigh); err != nil {
			t.Fatal(err)
		}
		waitMessage(t, rec, 20*time.Second, isOurs)
		st := s.Stats()
		t.Logf("after 20 s: %d bytes / %d messages out, %d bytes / %d messages in", st.BytesOut, st.MsgsOut, st.BytesIn, st.MsgsIn)
		s.Close(transport.ReasonNormal)
		if err := transporttest.WaitDone(t, s); transporttest.Termination(t, err).Remote {
			t.Fatalf("ended by i2pd: %v", err)
		}
		if _, err := r.WaitLog("NTCP2: Termination. reason=0", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	})

	// 3. What i2pd does with a wrong network id and a skewed clock. Each
	// dials from an address of its own: i2pd 2.45.1 keeps a failed
	// inbound handshake "pending" for its IP until a 30 s sweep and drops
	// new connections from that IP meanwhile ("is already pending").
	t.Run("i2pd refuses another network", func(t *testing.T) {
		ns, addr := n.Add("net98", 202)
		other := newInteropIdentity(t, addr, veilPort, 98)
		tr2, err := New(Config{NetID: 98, StaticKeys: other.Static, RouterInfo: other.RouterInfo, Handler: transporttest.NewRecorder(), DialContext: n.Dialer(ns)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr2.Dial(context.Background(), i2pdRI); err == nil {
			t.Fatal("i2pd accepted a SessionRequest with network id 98")
		} else {
			t.Logf("dial with network id 98: %v", err)
		}
		line, err := r.WaitLog("SessionRequest networkID 98 mismatch", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("i2pd: %s", strings.TrimSpace(line))
	})
	// i2pd 2.45.1 answers a skewed SessionRequest with SessionCreated
	// (ntcp2.rst, "Clock Skew Guidelines") without reading the request's
	// padding, yet mixes its padLen bytes of buffer into h: the
	// SessionCreated only authenticates when the request had no padding.
	for _, tc := range []struct {
		name string
		pad  int
		host int
	}{{"skewed clock, no padding", 0, 201}, {"skewed clock, padding", 32, 203}} {
		t.Run(tc.name, func(t *testing.T) {
			ns, addr := n.Add(fmt.Sprintf("skew%d", tc.pad), tc.host)
			other := newInteropIdentity(t, addr, veilPort, netID)
			tr2, err := New(Config{NetID: netID, StaticKeys: other.Static, RouterInfo: other.RouterInfo, Handler: transporttest.NewRecorder(),
				DialContext: n.Dialer(ns), Now: func() time.Time { return time.Now().Add(-90 * time.Second) }})
			if err != nil {
				t.Fatal(err)
			}
			tr2.fixedPad = tc.pad
			_, err = tr2.Dial(context.Background(), i2pdRI)
			t.Logf("dial with a clock 90 s slow, %d bytes of SessionRequest padding: %v", tc.pad, err)
			switch {
			case err == nil:
				t.Fatal("i2pd accepted a SessionRequest 90 s in the past")
			case tc.pad == 0:
				if te := transporttest.Termination(t, err); te.Reason != transport.ReasonClockSkew || !contains(err, "session created: clock skew 9") {
					t.Fatalf("want veil to see i2pd's time and refuse it: %v", err)
				}
			default:
				if !contains(err, "session created: noise: decrypt and hash: authentication failed") && !contains(err, "EOF") {
					t.Fatalf("dial: %v", err)
				}
			}
		})
	}
	if line, err := r.WaitLog("exceeds clock skew", 10*time.Second); err != nil {
		t.Error(err)
	} else {
		t.Logf("i2pd: %s", strings.TrimSpace(line))
	}

	for _, bad := range []string{"AEAD verification failed", "Unexpected block", "is too short", "Unknown block type", "Unexpected block length"} {
		if r.LogContains(bad) {
			t.Errorf("i2pd logged %q:\n%s", bad, grepLines(r.Log(), bad))
		}
	}
	t.Logf("i2pd NTCP2 log excerpt:\n%s", grepLines(r.Log(), "NTCP2: Session", "NTCP2: Termination", "NTCP2: RouterInfo flag", "SessionRequest", "SessionCreated", "exceeds"))
}

// newInteropIdentity is a floodfill (so i2pd publishes to us) with an
// NTCP2 address at host:port on network netID.
func newInteropIdentity(t *testing.T, host string, port, netID int) *identity {
	return transporttest.NewIdentity(t, riOptions{Style: "NTCP2", NetID: netID, Host: host, Port: port, Caps: "XfR"})
}

func readI2pdRouterInfo(t *testing.T, r *i2pdtest.Router) *data.RouterInfo {
	b, err := os.ReadFile(r.RouterInfoPath())
	if err != nil {
		t.Fatal(err)
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Verify(); err != nil {
		t.Fatal(err)
	}
	return ri
}

func waitSession(t *testing.T, rec *recorder, d time.Duration, what string) transport.Session {
	t.Helper()
	select {
	case s := <-rec.Sessions:
		return s
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
	}
	return nil
}

func waitMessage(t *testing.T, rec *recorder, d time.Duration, ok func(*transport.Message) bool) *transport.Message {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m := <-rec.Messages:
			t.Logf("received I2NP type %d id %d, %d bytes", m.Type, m.ID, len(m.Payload))
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no matching I2NP message within %v", d)
		}
	}
}

// parseDatabaseStore reads a DatabaseStore of a RouterInfo (i2np.rst):
// key(32) type(1) token(4) [tunnel(4) gateway(32)] size(2) gzip(RouterInfo).
func parseDatabaseStore(t *testing.T, p []byte) (key data.Hash, typ byte, ri *data.RouterInfo) {
	t.Helper()
	if len(p) < 37 {
		t.Fatalf("DatabaseStore of %d bytes", len(p))
	}
	copy(key[:], p)
	typ = p[32]
	off := 37
	if binary.BigEndian.Uint32(p[33:]) != 0 {
		off += 36
	}
	if typ != 0 || len(p) < off+2 {
		return key, typ, nil
	}
	n := int(binary.BigEndian.Uint16(p[off:]))
	zr, err := gzip.NewReader(bytes.NewReader(p[off+2 : off+2+n]))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	if ri, err = data.ParseRouterInfo(b); err != nil {
		t.Fatal(err)
	}
	if err := ri.Verify(); err != nil {
		t.Fatal(err)
	}
	return key, typ, ri
}

func expectConsole(t *testing.T, r *i2pdtest.Router, what, needle string) {
	t.Helper()
	var page string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var err error
		if page, err = r.ConsoleGet("/?page=transports"); err == nil && strings.Contains(page, needle) {
			for _, l := range strings.Split(page, "<div") {
				if strings.Contains(l, needle) {
					t.Logf("%s: %s", what, strings.TrimSpace(stripTags(l)))
					break
				}
			}
			return
		}
	}
	t.Errorf("%s: %q not on the page:\n%s", what, needle, stripTags(page))
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func grepLines(log string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) {
				out = append(out, "    "+l)
				break
			}
		}
	}
	if len(out) > 60 {
		out = out[len(out)-60:]
	}
	return strings.Join(out, "\n")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// listenInNetns opens a TCP listener inside namespace ns: a goroutine
// locked to its OS thread enters ns, creates the socket (which stays in
// that namespace) and switches back; if switching back fails the thread
// stays locked and the runtime discards it.
func listenInNetns(t *testing.T, ns, addr string) net.Listener {
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer self.Close()
		target, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer target.Close()
		if err := setns(target.Fd()); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		ln, err := net.Listen("tcp", addr)
		if rerr := setns(self.Fd()); rerr != nil {
			if ln != nil {
				ln.Close()
			}
			ch <- result{nil, fmt.Errorf("setns back: %w", rerr)} // thread stays locked: discarded
			return
		}
		runtime.UnlockOSThread()
		ch <- result{ln, err}
	}()
	res := <-ch
	if res.err != nil {
		t.Fatal(res.err)
	}
	t.Cleanup(func() { res.ln.Close() })
	return res.ln
}

// setnsNR is setns(2)'s number; package syscall lacks SYS_SETNS.
var setnsNR = map[string]uintptr{"amd64": 308, "arm64": 268, "386": 346, "arm": 375, "riscv64": 268}

func setns(fd uintptr) error {
	nr, ok := setnsNR[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: unknown syscall number on %s", runtime.GOARCH)
	}
	if _, _, e := syscall.Syscall(nr, fd, syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}
