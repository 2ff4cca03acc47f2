package transport

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// ordered returns the nodes as (smaller hash, larger hash).
func ordered(a, b *node) (lo, hi *node) {
	if lessHash(a.ri.Hash(), b.ri.Hash()) {
		return a, b
	}
	return b, a
}

// agreeOn waits until lo and hi each hold one live session to the other,
// the two ends of one connection, initiated by lo.
func agreeOn(t *testing.T, lo, hi *node) {
	t.Helper()
	waitFor(t, "one session initiated by the smaller hash", func() bool {
		s1, s2 := lo.m.Session(hi.ri.Hash()), hi.m.Session(lo.ri.Hash())
		if s1 == nil || s2 == nil || ended(s1) || ended(s2) {
			return false
		}
		f1, f2 := s1.(*fakeSession), s2.(*fakeSession)
		return f1.remote == f2 && f1.dir == Outbound && f2.dir == Inbound
	})
}

func TestSimultaneousConnectSequential(t *testing.T) {
	for _, smallerFirst := range []bool{true, false} {
		name := map[bool]string{true: "smaller dials first", false: "larger dials first"}[smallerFirst]
		t.Run(name, func(t *testing.T) {
			goroutineLeakCheck(t)
			a, b := pair(t, ManagerConfig{})
			lo, hi := ordered(a, b)
			first, second := hi, lo
			if smallerFirst {
				first, second = lo, hi
			}
			if _, err := first.m.Connect(context.Background(), second.ri); err != nil {
				t.Fatal(err)
			}
			// The second dials too, at the transport level, as if its
			// dial had started before the first session was up.
			s, err := connectPair(second.tr, first.tr)
			if smallerFirst {
				// The larger's own outbound loses at once.
				var te *TerminationError
				if !errors.As(err, &te) || te.Reason != ReasonNormal {
					t.Fatalf("larger's dial: %v %v", s, err)
				}
			} else if err != nil {
				t.Fatalf("smaller's dial: %v", err)
			}
			agreeOn(t, lo, hi)
			if lo.m.Counters().Races+hi.m.Counters().Races == 0 {
				t.Fatal("no race counted")
			}
		})
	}
}

func TestSimultaneousConnectConcurrent(t *testing.T) {
	goroutineLeakCheck(t)
	for range 20 {
		func() {
			a, b := pair(t, ManagerConfig{})
			defer closeAll(t, a, b)
			lo, hi := ordered(a, b)
			gate := make(chan struct{})
			a.tr.gate, b.tr.gate = gate, gate
			var wg sync.WaitGroup
			for _, n := range []*node{a, b} {
				other := map[*node]*node{a: b, b: a}[n]
				wg.Go(func() {
					// Either side may see an error (its dial lost),
					// but both must end up with the winner.
					n.m.Connect(context.Background(), other.ri)
				})
			}
			waitFor(t, "both dials", func() bool { return a.tr.dials.Load() == 1 && b.tr.dials.Load() == 1 })
			close(gate)
			wg.Wait()
			agreeOn(t, lo, hi)
		}()
	}
}

func TestStaleSessionReplaced(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	lo, hi := ordered(a, b)
	// lo initiates; later hi "restarts" and dials anew. Outside the race
	// window the new session wins even though hi initiated it.
	old, err := lo.m.Connect(context.Background(), hi.ri)
	if err != nil {
		t.Fatal(err)
	}
	lo.now.advance(RaceWindow + time.Second)
	hi.now.advance(RaceWindow + time.Second)
	s, err := connectPair(hi.tr, lo.tr)
	if err != nil {
		t.Fatal(err)
	}
	<-old.Done()
	waitFor(t, "the new session on both sides", func() bool {
		return lo.m.Session(hi.ri.Hash()) == s.(*fakeSession).remote && hi.m.Session(lo.ri.Hash()) == s
	})
}

func TestBanRouter(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	ctx := context.Background()
	s, err := a.m.Connect(ctx, b.ri)
	if err != nil {
		t.Fatal(err)
	}
	b.m.Ban(a.ri.Hash(), time.Hour, "test")
	<-s.Done()
	var te *TerminationError
	if !errors.As(s.Err(), &te) || !te.Remote || te.Reason != ReasonBanned {
		t.Fatalf("banned peer saw %v", s.Err())
	}
	waitFor(t, "a forgets the session", func() bool { return a.m.NumSessions() == 0 })
	a.now.advance(time.Hour) // past a's back-off
	if _, err := a.m.Connect(ctx, b.ri); !errors.As(err, &te) || te.Reason != ReasonBanned {
		t.Fatalf("reconnect while banned: %v", err)
	}
	if err := b.m.Send(ctx, a.ri.Hash(), msg(20, ""), PriorityNormal); !errors.Is(err, ErrBanned) {
		t.Fatalf("send to banned: %v", err)
	}
	if b.m.Dialable(a.ri) || len(b.m.Bans()) != 1 {
		t.Fatal("banned peer dialable")
	}
	b.now.advance(time.Hour)
	if b.m.Banned(a.ri.Hash()) {
		t.Fatal("ban did not expire")
	}
	a.now.advance(time.Hour)
	if _, err := a.m.Connect(ctx, b.ri); err != nil {
		t.Fatalf("after the ban: %v", err)
	}
}

func TestBanIP(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	ctx := context.Background()
	s, err := a.m.Connect(ctx, b.ri)
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("198.18.0.1")
	b.m.BanIP(netip.AddrFrom16(ip.As16()), time.Minute, "wrong network id") // mapped form
	<-s.Done()
	if !b.m.IPBlocked(ip) || b.m.IPBlocked(netip.MustParseAddr("198.18.0.7")) {
		t.Fatal("IPBlocked")
	}
	a.now.advance(time.Hour)
	var te *TerminationError
	if _, err := a.m.Connect(ctx, b.ri); !errors.As(err, &te) || te.Reason != ReasonBanned {
		t.Fatalf("from a banned IP: %v", err)
	}
	b.now.advance(time.Minute)
	if b.m.IPBlocked(ip) {
		t.Fatal("IP ban did not expire")
	}
}

func TestBanTableCap(t *testing.T) {
	n := newNode(t, newFakeNet(), "198.18.0.1", ManagerConfig{MaxBans: 3})
	for i, d := range []time.Duration{time.Hour, time.Minute, 2 * time.Hour, 3 * time.Hour} {
		n.m.BanIP(netip.AddrFrom4([4]byte{198, 18, 1, byte(i)}), d, "test")
	}
	if len(n.m.Bans()) != 3 || n.m.IPBlocked(netip.MustParseAddr("198.18.1.1")) {
		t.Fatalf("bans %v", n.m.Bans())
	}
	// A shorter ban does not shorten one in force.
	n.m.BanIP(netip.MustParseAddr("198.18.1.0"), time.Second, "again")
	n.now.advance(time.Minute)
	if !n.m.IPBlocked(netip.MustParseAddr("198.18.1.0")) {
		t.Fatal("ban shortened")
	}
	// Run's sweep empties the tables once bans end.
	n.now.advance(4 * time.Hour)
	n.m.bans.expire(n.now.Now())
	if len(n.m.bans.ips) != 0 {
		t.Fatalf("%d left", len(n.m.bans.ips))
	}
}

func TestReserved(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1":        true,
		"127.255.0.9":      true,
		"10.1.2.3":         true,
		"100.64.0.1":       true,
		"169.254.1.1":      true,
		"172.16.0.1":       true,
		"172.32.0.1":       false,
		"192.168.1.1":      true,
		"192.0.2.7":        true,
		"198.18.0.10":      false, // i2pd 2.45.1's mistyped range
		"198.19.255.255":   false,
		"192.19.0.1":       false,
		"198.51.100.1":     true,
		"203.0.113.1":      true,
		"224.0.0.1":        true,
		"255.255.255.255":  true,
		"8.8.8.8":          false,
		"0.0.0.0":          true,
		"0.1.2.3":          true,
		"::":               true,
		"::1":              true,
		"::ffff:127.0.0.1": true,
		"::ffff:8.8.8.8":   false,
		"2001:db8::1":      true,
		"fd00::1":          true,
		"fe80::1":          true,
		"ff02::1":          true,
		"200::1":           true, // Yggdrasil
		"3ff:ffff::1":      true,
		"2a00:1450::1":     false,
	} {
		if got := Reserved(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Reserved(%s) = %v", addr, got)
		}
	}
	if !Reserved(netip.Addr{}) {
		t.Error("invalid address not reserved")
	}
}

func TestCheckReserved(t *testing.T) {
	goroutineLeakCheck(t)
	net := newFakeNet()
	hub := newNode(t, net, "198.18.0.1", ManagerConfig{CheckReserved: true})
	local := newNode(t, net, "10.0.0.1", ManagerConfig{})
	local.knows(hub)
	hub.knows(local)
	t.Cleanup(func() { closeAll(t, hub, local) })
	if !hub.m.IPBlocked(netip.MustParseAddr("127.0.0.1")) || hub.m.IPBlocked(netip.MustParseAddr("200::1")) {
		t.Fatal("IPBlocked with CheckReserved")
	}
	if local.m.IPBlocked(netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("IPBlocked without CheckReserved")
	}
	if _, err := hub.m.Connect(context.Background(), local.ri); !errors.Is(err, ErrReserved) {
		t.Fatalf("dial to a reserved host: %v", err)
	}
	if hub.m.Dialable(local.ri) {
		t.Fatal("reserved peer Dialable")
	}
	var te *TerminationError
	if _, err := local.m.Connect(context.Background(), hub.ri); !errors.As(err, &te) || te.Reason != ReasonBanned {
		t.Fatalf("from a reserved address: %v", err)
	}
}

func TestEndedSessionGivesWay(t *testing.T) {
	a, b := pair(t, ManagerConfig{})
	lo, hi := ordered(a, b)
	now := lo.now.Now()
	// lo's own outbound would win a race, but it has ended.
	old := newFakeSession(lo.tr, hi.ri, Outbound, hi.tr.addr)
	old.terminate(errors.New("gone"))
	in := newFakeSession(lo.tr, hi.ri, Inbound, hi.tr.addr)
	if !lo.m.preferNew(&entry{s: old, since: now}, in, now) {
		t.Fatal("an ended session kept")
	}
	live := newFakeSession(lo.tr, hi.ri, Outbound, hi.tr.addr)
	if lo.m.preferNew(&entry{s: live, since: now}, in, now) {
		t.Fatal("race rule: lo's outbound should win")
	}
}
