//go:build interop && linux

package ssu2

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// TestInteropI2pd speaks SSU2 with a real i2pd 2.45.1 (NTCP2 off) at the
// wire level, both ways. i2pd 2.45.1 drops SSU2 packets from loopback and
// private ranges, so each side gets a network namespace on 198.18.0.0/24
// joined by a bridge (i2pdtest.Network); i2pd is stopped by its PID and
// the namespaces deleted when the test ends. Root only.
//
//  1. i2pd dials veil: veil's RouterInfo (a floodfill) is in i2pd's netDb
//     before it starts, so i2pd publishes its RouterInfo to veil with a
//     DatabaseStore: Token Request, Retry, Session Request/Created/
//     Confirmed, then data.
//  2. veil dials i2pd: a DatabaseLookup for veil's own RouterInfo is
//     answered with a DatabaseStore (I2NP both ways, fragmented when
//     large), the session survives 20 s, and veil terminates it.
//  3. A second dial uses the New Token i2pd gave (no Token Request).
func TestInteropI2pd(t *testing.T) {
	n := interopNetwork(t)
	nsI, addrI := n.Add("i2pd", 10)
	nsV, addrV := n.Add("veil", 200)
	const veilPort = 12345
	const netID = 97

	veil := newIdentity(t, riOptions{NetID: netID, Host: addrV, Port: veilPort, Caps: "XfR"})
	pc, err := n.ListenPacket(nsV, "udp4", net.JoinHostPort(addrV, strconv.Itoa(veilPort)))
	if err != nil {
		t.Fatal(err)
	}
	dd := t.TempDir()
	if _, err := i2pdtest.InstallRouterInfo(dd+"/netDb", veil.RouterInfo().Bytes()); err != nil {
		t.Fatal(err)
	}
	r := i2pdtest.Start(t, i2pdtest.Config{DataDir: dd, NetID: netID, Netns: nsI, Host: addrI, LogLevel: "debug",
		Options: map[string]string{"ntcp2.enabled": "false", "ntcp2.published": "false"}})
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	i2pdRI := readI2pdRouterInfo(t, r)
	t.Logf("i2pd %s at %s:%d, veil %s at %s:%d", i2pdRI.Hash(), addrI, r.Config().Port, veil.RouterInfo().Hash(), addrV, veilPort)

	rec := transporttest.NewRecorder()
	tr, err := New(Config{
		NetID: netID, StaticKeys: veil.Static, RouterInfo: veil.RouterInfo, Handler: rec,
		ListenAddrs:  []string{pc.LocalAddr().String()},
		ListenPacket: func(context.Context, string, string) (net.PacketConn, error) { return pc, nil },
		Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
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

	t.Run("i2pd dials veil", func(t *testing.T) {
		s := waitFor2(t, rec.Sessions, 90*time.Second, "i2pd's inbound session")
		if s.Direction() != transport.Inbound || s.Peer() != i2pdRI.Hash() {
			t.Fatalf("session %v from %v, want inbound from i2pd", s.Direction(), s.Peer())
		}
		t.Logf("inbound session from i2pd at %v", s.RemoteAddr())
		ih := i2pdRI.Hash()
		m := waitMessage(t, rec, 60*time.Second, func(m *transport.Message) bool {
			return m.Type == i2np.TypeDatabaseStore && len(m.Payload) > 32 && bytes.Equal(m.Payload[:32], ih[:])
		})
		ds, err := i2np.ParseDatabaseStore(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		ri, err := ds.RouterInfo()
		if err != nil || ri.Hash() != ih {
			t.Fatalf("DatabaseStore: %v", err)
		}
		t.Logf("i2pd -> veil I2NP DatabaseStore (id %d, %d bytes): its RouterInfo, signature valid", m.ID, len(m.Payload))
		expectSSU2Session(t, r, veil.RouterInfo().Hash(), netip.MustParseAddr(addrV), false)
		ended := strings.Count(r.Log(), "SSU2: Session terminated")
		s.Close(transport.ReasonNormal)
		transporttest.WaitDone(t, s)
		if _, err := r.WaitLog("SSU2: Termination reason=0", 10*time.Second); err != nil {
			t.Error(err)
		}
		// i2pd 2.45.1 keeps a session it was told to close in its
		// transports table until a sweep every 30 s, and routes messages
		// for us into it meanwhile, even once a new session is up: wait
		// for the sweep before dialling again.
		waitLogCount(t, r, "SSU2: Session terminated", ended+1, 40*time.Second)
		t.Logf("veil counters: %+v", tr.Counters())
	})

	t.Run("veil dials i2pd", func(t *testing.T) {
		for len(rec.Messages) > 0 {
			<-rec.Messages
		}
		dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer dcancel()
		s, err := tr.Dial(dctx, i2pdRI)
		if err != nil {
			t.Fatalf("dial: %v; i2pd log:\n%s", err, grepLines(r.Log(), "SSU2"))
		}
		transporttest.WaitFor(t, rec.Sessions, "outbound Established")
		t.Logf("outbound session to i2pd at %v", s.RemoteAddr())
		us := veil.RouterInfo().Hash()
		lookup := lookupSelf(us)
		id := lookup.ID
		if err := s.Send(lookup, transport.PriorityHigh); err != nil {
			t.Fatal(err)
		}
		isOurs := func(m *transport.Message) bool {
			return m.Type == i2np.TypeDatabaseStore && len(m.Payload) > 32 && bytes.Equal(m.Payload[:32], us[:])
		}
		m := waitMessage(t, rec, 20*time.Second, isOurs)
		t.Logf("veil -> i2pd DatabaseLookup (id %d) answered by a DatabaseStore of our own RouterInfo (id %d, %d bytes)", id, m.ID, len(m.Payload))
		expectSSU2Session(t, r, us, netip.MustParseAddr(addrV), true)
		// A large message: fragments. i2pd drops what it cannot parse,
		// so send a DatabaseStore of our RouterInfo padded with a big
		// unknown type message first, then check i2pd still answers.
		big := &transport.Message{Type: 20, ID: id + 1, Expiration: time.Now().Add(time.Minute), Payload: make([]byte, 20000)}
		if err := s.Send(big, transport.PriorityNormal); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Done():
			t.Fatalf("session ended: %v", s.Err())
		case <-time.After(20 * time.Second):
		}
		if err := s.Send(lookupSelf(us), transport.PriorityHigh); err != nil {
			t.Fatal(err)
		}
		waitMessage(t, rec, 20*time.Second, isOurs)
		st := s.Stats()
		t.Logf("after 20 s: %d bytes / %d messages out, %d bytes / %d messages in", st.BytesOut, st.MsgsOut, st.BytesIn, st.MsgsIn)
		s.Close(transport.ReasonNormal)
		if err := transporttest.WaitDone(t, s); transporttest.Termination(t, err).Remote {
			t.Fatalf("ended by i2pd: %v", err)
		}
		if _, err := r.WaitLog("SSU2: Termination reason=0", 10*time.Second); err != nil {
			t.Error(err)
		}
	})

	t.Run("second dial uses the New Token", func(t *testing.T) {
		before := tr.Counters()
		dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer dcancel()
		s, err := tr.Dial(dctx, i2pdRI)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		transporttest.WaitFor(t, rec.Sessions, "second outbound Established")
		s.Close(transport.ReasonNormal)
		transporttest.WaitDone(t, s)
		after := tr.Counters()
		if after.TokensUsed != before.TokensUsed+1 {
			t.Errorf("the dial did not use i2pd's New Token: %+v", after)
		}
		t.Logf("counters: %+v", after)
	})

	for _, bad := range []string{"AEAD verification failed", "SSU2: Unexpected", "too short", "Unknown block type", "malformed"} {
		if r.LogContains(bad) {
			t.Errorf("i2pd logged %q:\n%s", bad, grepLines(r.Log(), bad))
		}
	}
	t.Logf("i2pd SSU2 log excerpt:\n%s", grepLines(r.Log(), "SSU2"))
}

// lookupSelf is a DatabaseLookup for our own RouterInfo, answered
// directly (flags 0x08: a RouterInfo lookup, reply to us); i2pd answers
// with a DatabaseStore of the RouterInfo it holds for us.
func lookupSelf(us data.Hash) *transport.Message {
	p := append(append(append([]byte(nil), us[:]...), us[:]...), 0x08, 0, 0)
	return &transport.Message{Type: i2np.TypeDatabaseLookup, ID: uint32(time.Now().UnixNano()), Expiration: time.Now().Add(time.Minute), Payload: p}
}

// waitLogCount waits until i2pd's log holds sub at least n times.
func waitLogCount(t *testing.T, r *i2pdtest.Router, sub string, n int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Count(r.Log(), sub) >= n {
			return
		}
	}
	t.Fatalf("i2pd did not log %q %d times within %v", sub, n, d)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
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

func waitFor2[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
	}
	var zero T
	return zero
}

func waitMessage(t *testing.T, rec *transporttest.Recorder, d time.Duration, ok func(*transport.Message) bool) *transport.Message {
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

// expectSSU2Session waits for i2pd's console to list an SSU2 session
// with us at ip in the given direction (outgoing from i2pd's view).
func expectSSU2Session(t *testing.T, r *i2pdtest.Router, us data.Hash, ip netip.Addr, i2pdIncoming bool) {
	t.Helper()
	var last []i2pdtest.ConsoleSession
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		ss, err := r.Transports()
		if err != nil {
			continue
		}
		last = ss
		for _, s := range ss {
			if s.Transport == "SSU2" && s.Matches(us.String(), ip) && s.Outgoing == !i2pdIncoming {
				t.Logf("i2pd console: %s %s %v outgoing=%v sent %d received %d", s.Transport, s.Peer, s.Remote, s.Outgoing, s.Sent, s.Received)
				return
			}
		}
	}
	t.Errorf("i2pd's console lists no SSU2 session with us (incoming=%v): %+v", i2pdIncoming, last)
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
	if len(out) > 80 {
		out = out[len(out)-80:]
	}
	return strings.Join(out, "\n")
}
