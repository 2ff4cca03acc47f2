package tunnel

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/replay"
)

// shortBuild returns the ShortTunnelBuild payload of hops, every record
// requested at now.
func shortBuild(tb testing.TB, hops []Hop, now time.Time) []byte {
	tb.Helper()
	for i := range hops {
		hops[i].Request.RequestTime = uint32(now.Unix() / 60)
	}
	_, recs, err := NewShortBuild(nil, hops, 4, nil)
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// participantBuild returns a build asking r to be a participant with
// receive id recv, forwarding to next.
func participantBuild(tb testing.TB, r, next testRouter, recv data.TunnelID, now time.Time) []byte {
	tb.Helper()
	hops := testPath([]testRouter{r, next}, false, data.Hash{0xee})
	hops[0].Request.ReceiveID = recv
	return shortBuild(tb, hops, now)
}

// TestTransitBuildFlood: one peer sends 500 build requests a second for
// several (simulated) seconds while twenty others send two a second each.
// The flooder gets its burst and then the rate limit's share, the rest
// dropped without a reply and without a trace in the replay filter or
// the tunnel table; every other peer's request is answered and accepted.
// Then a flood from many identities: the limiter's table stays at its
// cap, and recovers once the flooders' buckets refill.
func TestTransitBuildFlood(t *testing.T) {
	const (
		seconds    = 5
		floodRate  = 500 // requests/s
		peers      = 20
		peerPeriod = 500 * time.Millisecond // each peer's request interval
		step       = time.Second / floodRate
	)
	hop, next := newTestRouter(t), newTestRouter(t)
	tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true})
	start := time.Unix(1_800_000_000, 0)
	flooder := data.Hash{0xf1}
	recv := data.TunnelID(1000)
	request := func(now time.Time) []byte {
		recv++
		return participantBuild(t, hop, next, recv, now)
	}

	var floodSent, floodAnswered, peerSent, peerAccepted int
	req := request(start)
	for i := range seconds * floodRate {
		now := start.Add(time.Duration(i) * step)
		out, err := tr.HandleBuild(flooder, i2np.TypeShortTunnelBuild, req, now, nil)
		floodSent++
		switch {
		case err == nil && len(out) == 1:
			floodAnswered++
			req = request(now) // the answer consumed it (replay filter)
		case len(out) != 0 || err == nil:
			t.Fatalf("flood request %d: %d messages out, %v", i, len(out), err)
		}
		// Each peer sends at its own offset in the period.
		for p := range peers {
			if now.Sub(start)%peerPeriod != time.Duration(p)*(peerPeriod/peers/step)*step {
				continue
			}
			accepted := tr.Counters().Accepted
			out, err := tr.HandleBuild(data.Hash{0xa0, byte(p)}, i2np.TypeShortTunnelBuild, request(now), now, nil)
			peerSent++
			if err == nil && len(out) == 1 && tr.Counters().Accepted == accepted+1 {
				peerAccepted++
			}
		}
	}

	// The token bucket: a burst, then the rate over the time that passed.
	lo, hi := DefaultBuildBurst+DefaultBuildRate*(seconds-1), DefaultBuildBurst+DefaultBuildRate*seconds
	t.Logf("flooder: %d sent, %d answered; %d peers: %d of %d accepted; %d tunnels, limiter %d keys, replay filter %d records",
		floodSent, floodAnswered, peers, peerAccepted, peerSent, tr.Len(), tr.builds.Len(), tr.records.Added())
	if floodAnswered < lo || floodAnswered > hi {
		t.Errorf("flooder answered %d times, want %d–%d", floodAnswered, lo, hi)
	}
	if peerSent != peers*seconds*int(time.Second/peerPeriod) || peerAccepted*10 < peerSent*9 {
		t.Errorf("other peers: %d of %d accepted", peerAccepted, peerSent)
	}
	// Memory: what is held grows with the requests answered, not with
	// those dropped.
	c := tr.Counters()
	answered := floodAnswered + peerSent
	if c.Dropped != uint64(floodSent-floodAnswered) || c.Requests != uint64(answered) {
		t.Errorf("counters %+v", c)
	}
	if tr.Len() != int(c.Accepted) || tr.builds.Len() != 1+peers || tr.records.Added() != answered {
		t.Errorf("held: %d tunnels (accepted %d), limiter %d keys, replay filter %d records (answered %d)",
			tr.Len(), c.Accepted, tr.builds.Len(), tr.records.Added(), answered)
	}

	// Many identities at one instant: each passes the limiter once and
	// is dropped as malformed; the limiter's table stops at its cap.
	now := start.Add(seconds * time.Second)
	const sybils = 5000
	for i := range sybils {
		tr.HandleBuild(data.Hash{0x5b, byte(i >> 8), byte(i)}, i2np.TypeShortTunnelBuild, []byte{1}, now, nil)
	}
	t.Logf("%d identities with a malformed request each: limiter %d keys, %d dropped in all", sybils, tr.builds.Len(), tr.Counters().Dropped)
	if n := tr.builds.Len(); n > 4096 { // the cap NewTransit gives its limiter
		t.Errorf("limiter holds %d keys", n)
	}
	if tr.records.Added() != answered || tr.Len() != int(c.Accepted) {
		t.Error("malformed requests left state behind")
	}
	// A newcomer is refused while the table is full of unrefilled
	// buckets, and let in once they have refilled (burst / rate).
	newcomer := data.Hash{0x77}
	if out, _ := tr.HandleBuild(newcomer, i2np.TypeShortTunnelBuild, request(now), now, nil); len(out) != 0 {
		t.Error("newcomer answered while the limiter's table is full")
	}
	now = now.Add(time.Duration(DefaultBuildBurst/DefaultBuildRate+1) * time.Second)
	if out, err := tr.HandleBuild(newcomer, i2np.TypeShortTunnelBuild, request(now), now, nil); err != nil || len(out) != 1 {
		t.Errorf("newcomer refused after the flood: %v", err)
	}
}

// TestTransitTableCap: past MaxTunnels every request is answered with a
// refusal and nothing more is held.
func TestTransitTableCap(t *testing.T) {
	const max = 3
	hop, next := newTestRouter(t), newTestRouter(t)
	tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true, MaxTunnels: max})
	now := time.Unix(1_800_000_000, 0)
	for i := range max + 2 {
		out, err := tr.HandleBuild(data.Hash{byte(i)}, i2np.TypeShortTunnelBuild, participantBuild(t, hop, next, data.TunnelID(10+i), now), now, nil)
		if err != nil || len(out) != 1 {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if c := tr.Counters(); tr.Len() != max || c.Accepted != max || c.Rejected != 2 {
		t.Fatalf("%d tunnels, counters %+v", tr.Len(), c)
	}
}

// TestTransitDropsBuild: build messages that deserve no answer are
// dropped without one and leave nothing behind. (Replays and stale
// request times: TestTransitPolicy; records alone: TestOpenShortRejects.)
func TestTransitDropsBuild(t *testing.T) {
	hop, next, other := newTestRouter(t), newTestRouter(t), newTestRouter(t)
	now := time.Unix(1_800_000_000, 0)
	// ours is the offset of hop's record in a participantBuild payload.
	ours := func(p []byte) int {
		m, err := i2np.ParseShortTunnelBuild(p)
		if err != nil {
			t.Fatal(err)
		}
		return 1 + hop.keys.FindShort(m.Records)*i2np.ShortBuildRecordLen
	}
	long := func(flip bool) []byte {
		req := BuildRequest{ReceiveID: 5, NextID: 6, NextIdent: next.ident, RequestTime: uint32(now.Unix() / 60), Expiration: 600}
		m := i2np.VariableTunnelBuild{Records: make([]i2np.BuildRecord, 4)}
		m.Records[1] = longRecord(t, hop, &req)
		if flip {
			m.Records[1][300] ^= 1
		}
		p, err := m.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		typ     uint8
		payload func() []byte
		want    error // nil: any error
	}{
		{"truncated", i2np.TypeShortTunnelBuild, func() []byte { p := participantBuild(t, hop, next, 5, now); return p[:len(p)-1] }, nil},
		{"no record for us", i2np.TypeShortTunnelBuild, func() []byte { return participantBuild(t, other, next, 5, now) }, ErrNotOurRecord},
		{"corrupted record", i2np.TypeShortTunnelBuild, func() []byte { p := participantBuild(t, hop, next, 5, now); p[ours(p)+100] ^= 1; return p }, ErrRecordDecrypt},
		{"low-order key", i2np.TypeShortTunnelBuild, func() []byte {
			p := participantBuild(t, hop, next, 5, now)
			clear(p[ours(p)+recordHashLen : ours(p)+recordCipherAt])
			return p
		}, ErrBadRecord},
		{"corrupted long record", i2np.TypeVariableTunnelBuild, func() []byte { return long(true) }, ErrRecordDecrypt},
		{"future request time", i2np.TypeShortTunnelBuild, func() []byte { return participantBuild(t, hop, next, 5, now.Add(requestFuture+2*time.Minute)) }, nil},
		{"us as the next hop", i2np.TypeShortTunnelBuild, func() []byte { return participantBuild(t, hop, hop, 5, now) }, nil},
		{"a reply as a request", i2np.TypeOutboundTunnelBuildReply, func() []byte { return participantBuild(t, hop, next, 5, now) }, nil},
		{"a long reply as a request", i2np.TypeVariableTunnelBuildReply, func() []byte { return long(false) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true})
			out, err := tr.HandleBuild(data.Hash{1}, tc.typ, tc.payload(), now, nil)
			if err == nil || len(out) != 0 || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("%d messages out, %v; want none and %v", len(out), err, tc.want)
			}
			if c := tr.Counters(); tr.Len() != 0 || c.Requests != 0 || tr.records.Added() > 1 {
				t.Fatalf("held %d tunnels, counters %+v", tr.Len(), c)
			}
		})
	}
	// The valid long request is answered, so the cases above fail for
	// their own reasons.
	tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true})
	if out, err := tr.HandleBuild(data.Hash{1}, i2np.TypeVariableTunnelBuild, long(false), now, nil); err != nil || len(out) != 1 || tr.Len() != 1 {
		t.Fatalf("valid long request: %v", err)
	}
}

// TestTransitDropsData: tunnel messages for a tunnel we do not carry in
// that role are dropped and counted.
func TestTransitDropsData(t *testing.T) {
	hop, next := newTestRouter(t), newTestRouter(t)
	now := time.Unix(1_800_000_000, 0)
	tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true})
	const part, ibgw = 100, 200
	ib := testPath([]testRouter{hop, next}, true, data.Hash{0xc0})
	ib[0].Request.ReceiveID = ibgw
	for _, p := range [][]byte{participantBuild(t, hop, next, part, now), shortBuild(t, ib, now)} {
		if _, err := tr.HandleBuild(data.Hash{1}, i2np.TypeShortTunnelBuild, p, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	td := func(id data.TunnelID) []byte { p, _ := (i2np.TunnelData{TunnelID: id}).Append(nil); return p }
	msg, _ := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 1, Expiration: now}, []byte("x"))
	tg := func(id data.TunnelID) []byte {
		p, _ := (i2np.TunnelGateway{TunnelID: id, Message: msg}).Append(nil)
		return p
	}
	for i, tc := range []struct {
		name    string
		handle  func(data.Hash, []byte, time.Time, []Out) ([]Out, error)
		payload []byte
		unknown bool // counted as for a tunnel we do not carry
	}{
		{"TunnelData for an inbound gateway", tr.HandleTunnelData, td(ibgw), true},
		{"TunnelData of 1027 bytes", tr.HandleTunnelData, td(part)[:i2np.TunnelDataMsgLen-1], false},
		{"TunnelGateway for a participant", tr.HandleTunnelGateway, tg(part), true},
		{"TunnelGateway for an unknown tunnel", tr.HandleTunnelGateway, tg(999), true},
		{"TunnelGateway truncated", tr.HandleTunnelGateway, tg(ibgw)[:20], false},
	} {
		before := tr.Counters()
		out, err := tc.handle(data.Hash{2}, tc.payload, now, nil)
		c := tr.Counters()
		if err == nil || len(out) != 0 || (c.Unknown-before.Unknown == 1) != tc.unknown || c.DataOut != 0 || c.Gatewayed != 0 {
			t.Errorf("%d %s: %d out, %v, counters %+v", i, tc.name, len(out), err, c)
		}
	}
	if tr.Len() != 2 {
		t.Fatalf("%d tunnels held, want 2", tr.Len())
	}
}

// TestTransitDupFilterSized: the duplicate filter is sized for the
// transit share, so a tunnel's creator sending at the full share for two
// filter periods (the worst case for a Bloom filter: as many distinct
// messages as it holds) loses almost none as false duplicates; and its
// memory follows the share, within replay's bound.
func TestTransitDupFilterSized(t *testing.T) {
	const share = 32 << 10 // bytes/s
	if DupCapacity(0) != DefaultDupCapacity || DupCapacity(1<<40) != replay.MaxCapacity {
		t.Fatal("DupCapacity bounds")
	}
	for _, s := range []int{share, 48 << 10, 2 << 20} {
		if c, need := DupCapacity(s), s/i2np.TunnelDataMsgLen*int(DefaultDupPeriod/time.Second); c < need || c > 2*need {
			t.Fatalf("share %d B/s: capacity %d for %d messages a period", s, c, need)
		}
	}

	hop, next := newTestRouter(t), newTestRouter(t)
	now := time.Unix(1_800_000_000, 0)
	tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true, ShareBytes: share})
	if _, err := tr.HandleBuild(data.Hash{1}, i2np.TypeShortTunnelBuild, participantBuild(t, hop, next, 100, now), now, nil); err != nil {
		t.Fatal(err)
	}
	// Just under the share's rate, so the limiter never refuses.
	step := time.Second * i2np.TunnelDataMsgLen * 101 / (share * 100)
	n := int(2 * DefaultDupPeriod / step)
	msg := make([]byte, i2np.TunnelDataMsgLen)
	for i := range n {
		binary.BigEndian.PutUint32(msg, 100)
		binary.LittleEndian.PutUint64(msg[4:], uint64(i))
		now = now.Add(step)
		tr.HandleTunnelData(data.Hash{2}, msg, now, nil)
	}
	c := tr.Counters()
	t.Logf("%d messages at %d B/s over %v: %d dropped as duplicates, %d over the share", n, share, 2*DefaultDupPeriod, c.Duplicate, c.OverShare)
	if c.DataIn != uint64(n) || c.OverShare != 0 || c.Duplicate*1000 > uint64(n) {
		t.Fatalf("counters %+v", c)
	}
}
