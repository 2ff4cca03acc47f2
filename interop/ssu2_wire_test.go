//go:build interop

package interop

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// TestSSU2WireI2pd speaks SSU2 with a real i2pd 2.45.1 (NTCP2 off) at
// the wire level, both ways, veil's SSU2 transport on its own in a
// namespace (i2pd drops SSU2 packets from loopback and private ranges).
//
//  1. i2pd dials veil: veil's RouterInfo (a floodfill) is in i2pd's netDb
//     before it starts, so i2pd publishes its RouterInfo to veil with a
//     DatabaseStore: Token Request, Retry, Session Request/Created/
//     Confirmed, then data.
//  2. veil dials i2pd: a DatabaseLookup for veil's own RouterInfo is
//     answered with a DatabaseStore (I2NP both ways, fragmented when
//     large), the session survives 20 s, and veil terminates it.
//  3. A second dial uses the New Token i2pd gave (no Token Request).
func TestSSU2WireI2pd(t *testing.T) {
	inParallel(t)
	n := ssu2Network(t)
	const netID = 97
	nsV, addrV := n.Add("veil", 200)
	v := startSSU2Node(t, n, nsV, addrV, netID, "XfR", nil, nil)
	us := v.id.RouterInfo().Hash()
	r := startI2pdWith(t, ssu2OnlyI2pd(t, n, "i2pd", 10, netID, false), v.id.RouterInfo())
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	i2pdRI := i2pdRouterInfo(t, r)
	t.Logf("i2pd %s at %s:%d, veil %s at %s", i2pdRI.Hash(), r.Config().Host, r.Config().Port, us, addrV)

	t.Run("i2pd dials veil", func(t *testing.T) {
		s := v.waitSessionWith(t, i2pdRI.Hash(), 90*time.Second, r)
		if s.Direction() != transport.Inbound {
			t.Fatalf("session with i2pd is %v, want inbound", s.Direction())
		}
		t.Logf("inbound session from i2pd at %v", s.RemoteAddr())
		m := v.rec.WaitMessage(t, 60*time.Second, storeOf(i2pdRI.Hash()))
		ds, err := i2np.ParseDatabaseStore(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if ri, err := ds.RouterInfo(); err != nil || ri.Hash() != i2pdRI.Hash() {
			t.Fatalf("DatabaseStore: %v", err)
		}
		t.Logf("i2pd -> veil I2NP DatabaseStore (id %d, %d bytes): its RouterInfo, signature valid", m.ID, len(m.Payload))
		expectConsoleSSU2(t, r, us, netip.MustParseAddr(addrV), false)
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
		t.Logf("veil counters: %+v", v.tr.Counters())
	})

	t.Run("veil dials i2pd", func(t *testing.T) {
		for len(v.rec.Messages) > 0 {
			<-v.rec.Messages
		}
		s := v.dial(t, i2pdRI)
		transporttest.WaitFor(t, v.rec.Sessions, "outbound Established")
		t.Logf("outbound session to i2pd at %v", s.RemoteAddr())
		lookup := lookupSelf(us)
		if err := s.Send(lookup, transport.PriorityHigh); err != nil {
			t.Fatal(err)
		}
		m := v.rec.WaitMessage(t, 20*time.Second, storeOf(us))
		t.Logf("veil -> i2pd DatabaseLookup (id %d) answered by a DatabaseStore of our own RouterInfo (id %d, %d bytes)", lookup.ID, m.ID, len(m.Payload))
		expectConsoleSSU2(t, r, us, netip.MustParseAddr(addrV), true)
		// A large message: fragments. i2pd drops what it cannot parse,
		// so send a big message of an unknown type, then check i2pd
		// still answers.
		big := &transport.Message{Type: 20, ID: lookup.ID + 1, Expiration: time.Now().Add(time.Minute), Payload: make([]byte, 20000)}
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
		v.rec.WaitMessage(t, 20*time.Second, storeOf(us))
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
		before := v.tr.Counters()
		s := v.dial(t, i2pdRI)
		transporttest.WaitFor(t, v.rec.Sessions, "second outbound Established")
		s.Close(transport.ReasonNormal)
		transporttest.WaitDone(t, s)
		after := v.tr.Counters()
		if after.TokensUsed != before.TokensUsed+1 {
			t.Errorf("the dial did not use i2pd's New Token: %+v", after)
		}
		t.Logf("counters: %+v", after)
	})

	checkSSU2Logs(t, []*i2pdtest.Router{r})
	t.Logf("i2pd SSU2 log excerpt:\n%s", grepLines(r.Log(), 80, "SSU2"))
}
