package tunnel

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

var testNow = time.Unix(1_700_000_000, 0)

// tb is what the helpers need of *testing.T, *testing.B and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// message is one I2NP message and its delivery, as sent or received.
type message struct {
	d   Delivery
	msg []byte
}

func (m message) String() string { return fmt.Sprintf("%s/%d", m.d.Type, len(m.msg)) }

func testGateway(seed uint64) *Gateway {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return NewGateway(rand.NewChaCha8(s))
}

func testMessage(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	fill(r, b)
	return b
}

var testDeliveries = []Delivery{
	{Type: DeliveryLocal},
	{Type: DeliveryRouter, To: testHash},
	{Type: DeliveryTunnel, TunnelID: 0x01020304, To: testHash},
}

// collect gathers the bodies a Gateway emits.
type collect [][i2np.TunnelDataLen]byte

func (c *collect) emit(b *[i2np.TunnelDataLen]byte) { *c = append(*c, *b) }

// gatewayBodies sends msgs through a fresh Gateway and flushes.
func gatewayBodies(t tb, seed uint64, msgs []message) collect {
	t.Helper()
	g := testGateway(seed)
	var c collect
	for _, m := range msgs {
		if err := g.Add(m.d, m.msg, c.emit); err != nil {
			t.Fatalf("Add %v: %v", m, err)
		}
	}
	if err := g.Flush(c.emit); err != nil {
		t.Fatal(err)
	}
	if g.Pending() || g.Sent() != uint64(len(c)) {
		t.Fatalf("after Flush: pending %v, sent %d of %d", g.Pending(), g.Sent(), len(c))
	}
	return c
}

// throughTunnel carries bodies through hops as an outbound tunnel
// (gateway pre-decrypts, hops encrypt) or an inbound one (hops encrypt,
// creator decrypts), checking that no hop sees the plaintext.
func throughTunnel(t tb, bodies collect, hops []*Layer, inbound bool) {
	t.Helper()
	for i := range bodies {
		plain := bodies[i]
		b := &bodies[i]
		if !inbound {
			DecryptLayers(hops, b)
		}
		for _, h := range hops {
			if *b == plain && !inbound {
				t.Fatal("a hop sees the plaintext")
			}
			h.Encrypt(b)
		}
		if inbound {
			DecryptLayers(hops, b)
		}
		if *b != plain {
			t.Fatal("endpoint does not see the gateway's plaintext")
		}
	}
}

// endpointMessages feeds bodies to a fresh Endpoint and returns what it
// delivers, failing on any error or leftover partial message.
func endpointMessages(t tb, bodies collect) []message {
	t.Helper()
	e := NewEndpoint(EndpointConfig{})
	var got []message
	for i := range bodies {
		err := e.Receive(&bodies[i], testNow, func(d Delivery, msg []byte) {
			got = append(got, message{d, bytes.Clone(msg)})
		})
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
	}
	if n, b := e.Partial(); n != 0 || b != 0 {
		t.Fatalf("%d partial messages (%d bytes) left", n, b)
	}
	return got
}

func sameMessages(t tb, got, want []message) {
	t.Helper()
	key := func(m message) string { return fmt.Sprintf("%v|%x", m.d, m.msg) }
	g, w := make([]string, len(got)), make([]string, len(want))
	for i := range got {
		g[i] = key(got[i])
	}
	for i := range want {
		w[i] = key(want[i])
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("delivered %v, sent %v", got, want)
	}
}

// wantBodies is how many tunnel messages one message of n bytes takes
// alone: whole if it fits after its instructions, else a first fragment
// filling the body and follow-ons of up to 996 bytes.
func wantBodies(d Delivery, n int) int {
	a := d.addrLen()
	if a+2+n <= maxContent {
		return 1
	}
	return 1 + followOns(n-(maxContent-a-6))
}

// testSizes are the sizes worth a round trip for delivery d: all small
// ones, both sides of every fragment boundary, a sample in between, and
// the largest.
func testSizes(d Delivery, short bool) []int {
	var s []int
	for n := 1; n <= 64; n++ {
		s = append(s, n)
	}
	whole := maxContent - d.addrLen() - 2
	s = append(s, whole, whole+1)
	first := maxContent - d.addrLen() - 6
	for k := 0; first+k*maxFollowOnData <= MaxMessageLen; k++ {
		if short && k > 3 && k < 61 {
			continue
		}
		s = append(s, first+k*maxFollowOnData-1, first+k*maxFollowOnData, first+k*maxFollowOnData+1)
	}
	for n := 100; n < MaxMessageLen; n += 997 {
		s = append(s, n)
	}
	s = append(s, 956, 996, 62707, MaxMessageLen)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestRoundTripSizes sends one message of each size alone through a
// tunnel in either direction, and checks the number of tunnel messages it
// takes: 1 while it fits whole, then one more for each 996 bytes past the
// first fragment, 63 at MaxMessageLen.
func TestRoundTripSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	hops := testLayers(r, 1)
	for i, d := range testDeliveries {
		for _, n := range testSizes(d, testing.Short()) {
			msg := []message{{d, testMessage(r, n)}}
			bodies := gatewayBodies(t, uint64(n), msg)
			if w := wantBodies(d, n); len(bodies) != w {
				t.Fatalf("%v: %d tunnel messages, want %d", msg[0], len(bodies), w)
			}
			throughTunnel(t, bodies, hops, (n+i)%2 == 0)
			sameMessages(t, endpointMessages(t, bodies), msg)
		}
	}
}

// TestGatewayLimits: the largest message fits in 63 tunnel messages
// (fragment numbers up to 62) wherever it starts; one byte more is
// refused, as are an empty message and bad deliveries.
func TestGatewayLimits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	big := testMessage(r, MaxMessageLen)
	for _, d := range testDeliveries {
		if n := len(gatewayBodies(t, 1, []message{{d, big}})); n != 63 {
			t.Errorf("%s: %d tunnel messages, want 63", d.Type, n)
		}
	}
	// After a message that leaves a few bytes free, the big one starts
	// with a tiny first fragment and needs all 63 follow-ons.
	for free := 1; free <= 50; free++ {
		small := maxContent - 3 - free
		msgs := []message{{Delivery{}, testMessage(r, small)}, {testDeliveries[2], big}}
		bodies := gatewayBodies(t, uint64(free), msgs)
		sameMessages(t, endpointMessages(t, bodies), msgs)
	}

	g := testGateway(1)
	emit := func(*[i2np.TunnelDataLen]byte) {}
	for _, tc := range []struct {
		name string
		d    Delivery
		n    int
		want error
	}{
		{"too large", Delivery{}, MaxMessageLen + 1, ErrMessageTooLarge},
		{"empty", Delivery{}, 0, ErrEmptyMessage},
		{"type 3", Delivery{Type: 3}, 10, ErrBadDelivery},
		{"tunnel 0", Delivery{Type: DeliveryTunnel, To: testHash}, 10, ErrBadDelivery},
	} {
		if err := g.Add(tc.d, make([]byte, tc.n), emit); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if g.Pending() {
		t.Fatal("a refused message was kept")
	}
}

// TestGatewayPacking: small messages share tunnel messages; a message
// that would fit a fresh tunnel message is split across the current one
// only when that costs no extra tunnel message.
func TestGatewayPacking(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var msgs []message
	for i := range 10 {
		msgs = append(msgs, message{testDeliveries[i%3], testMessage(r, 40+i)})
	}
	// 3×(3+40..) + 3×(35+..) + 3×(39+..) + … ≈ 660 bytes: one body.
	bodies := gatewayBodies(t, 1, msgs)
	if len(bodies) != 1 {
		t.Fatalf("10 small messages took %d tunnel messages", len(bodies))
	}
	sameMessages(t, endpointMessages(t, bodies), msgs)

	// 600 + 600 local: the second is split (first fragment fills the rest
	// of the first body), two bodies either way.
	msgs = []message{{Delivery{}, testMessage(r, 600)}, {Delivery{}, testMessage(r, 600)}}
	bodies = gatewayBodies(t, 2, msgs)
	if len(bodies) != 2 {
		t.Fatalf("600+600: %d tunnel messages", len(bodies))
	}
	sameMessages(t, endpointMessages(t, bodies), msgs)

	// A message that fills a body exactly is emitted by Add, before Flush.
	g := testGateway(3)
	var c collect
	if err := g.Add(Delivery{}, testMessage(r, maxContent-3), c.emit); err != nil || len(c) != 1 || g.Pending() {
		t.Fatalf("exact fill: %v, %d emitted, pending %v", err, len(c), g.Pending())
	}
}

// TestGatewayBody checks the layout of what the Gateway emits: nonzero
// padding, the zero byte, the instructions at the end, the checksum.
func TestGatewayBody(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	msg := testMessage(r, 100)
	bodies := gatewayBodies(t, 5, []message{{testDeliveries[1], msg}})
	b := &bodies[0]
	content := b[i2np.TunnelDataLen-35-100:]
	if !bytes.Equal(content[35:], msg) || content[0] != 0x40 {
		t.Fatalf("content %x", content[:36])
	}
	zero := i2np.TunnelDataLen - len(content) - 1
	if b[zero] != 0 || bytes.IndexByte(b[ivLen+checksumLen:zero], 0) >= 0 {
		t.Fatal("padding holds a zero byte or the zero byte is missing")
	}
	var scratch [maxContent + ivLen]byte
	if sum := checksum(b, content, &scratch); !bytes.Equal(sum[:], b[ivLen:ivLen+checksumLen]) {
		t.Fatal("bad checksum")
	}
	if bytes.Equal(bodies[0][:ivLen], gatewayBodies(t, 6, []message{{testDeliveries[1], msg}})[0][:ivLen]) {
		t.Fatal("same IV from two random sources")
	}
}

// TestRealI2NPMessages round-trips standard-header messages through
// inbound and outbound tunnels and parses them at the far end.
func TestRealI2NPMessages(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	var msgs []message
	for i, n := range []int{0, 1, 100, 940, 2000, 10000, MaxMessageLen - i2np.StandardHeaderLen} {
		m, err := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: uint32(i + 1), Expiration: testNow}, testMessage(r, n))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, message{testDeliveries[i%3], m})
	}
	for _, inbound := range []bool{false, true} {
		bodies := gatewayBodies(t, 1, msgs)
		throughTunnel(t, bodies, testLayers(r, 3), inbound)
		got := endpointMessages(t, bodies)
		sameMessages(t, got, msgs)
		for _, m := range got {
			if _, _, rest, err := i2np.ParseStandard(m.msg); err != nil || len(rest) != 0 {
				t.Fatalf("delivered message does not parse: %v", err)
			}
		}
	}
}

// TestRoundTripProperty: any sequence of messages, flushed at any points,
// through any number of hops either way, with the tunnel messages in any
// order, arrives complete and unchanged.
func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := testGateway(rapid.Uint64().Draw(t, "seed"))
		var c collect
		var msgs []message
		for i := range rapid.IntRange(1, 12).Draw(t, "count") {
			n := rapid.OneOf(rapid.IntRange(1, 1100), rapid.IntRange(1, MaxMessageLen)).Draw(t, fmt.Sprint("size", i))
			m := message{genDelivery(t), bytes.Repeat([]byte{byte(i)}, n)}
			msgs = append(msgs, m)
			if err := g.Add(m.d, m.msg, c.emit); err != nil {
				t.Fatal(err)
			}
			if rapid.Bool().Draw(t, fmt.Sprint("flush", i)) {
				if err := g.Flush(c.emit); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := g.Flush(c.emit); err != nil {
			t.Fatal(err)
		}
		hops := testLayers(rand.New(rand.NewPCG(1, uint64(len(c)))), rapid.IntRange(0, 4).Draw(t, "hops"))
		throughTunnel(t, c, hops, rapid.Bool().Draw(t, "inbound"))
		perm := rapid.Permutation(c).Draw(t, "order")
		sameMessages(t, endpointMessages(t, perm), msgs)
	})
}

// TestChecksumKnownAnswer reads a body written by hand (Python, hashlib;
// checksum confirmed with sha256sum): IV 40…4f, padding 0x5a, then a local
// message "veil tunnel KAT 0001" and a router message "hello" for router
// aa…aa. Checksum ef66223d = SHA-256(content || IV)[0:4].
func TestChecksumKnownAnswer(t *testing.T) {
	b := [i2np.TunnelDataLen]byte(hexTestdata(t, "checksum-kat.hex"))
	want := []message{
		{Delivery{}, []byte("veil tunnel KAT 0001")},
		{Delivery{Type: DeliveryRouter, To: data.Hash(bytes.Repeat([]byte{0xaa}, 32))}, []byte("hello")},
	}
	if b[ivLen] != 0xef || b[ivLen+3] != 0x3d {
		t.Fatal("testdata changed")
	}
	sameMessages(t, endpointMessages(t, collect{b}), want)

	// The padding is not covered; the content and the IV are.
	p := b
	p[ivLen+checksumLen+10] = 0x01
	sameMessages(t, endpointMessages(t, collect{p}), want)
	for _, i := range []int{0, 15, i2np.TunnelDataLen - 1, i2np.TunnelDataLen - 63} {
		c := b
		c[i] ^= 0x40
		err := NewEndpoint(EndpointConfig{}).Receive(&c, testNow, func(Delivery, []byte) { t.Fatal("delivered") })
		if !errors.Is(err, ErrBadChecksum) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
}

// handBody builds a valid body around the given pairs, padding 0xff.
func handBody(t tb, pairs ...[]byte) [i2np.TunnelDataLen]byte {
	t.Helper()
	var content []byte
	for _, p := range pairs {
		content = append(content, p...)
	}
	if len(content) > maxContent {
		t.Fatalf("content of %d bytes", len(content))
	}
	var b [i2np.TunnelDataLen]byte
	copy(b[:ivLen], seq(1, ivLen))
	zero := i2np.TunnelDataLen - len(content) - 1
	for i := ivLen + checksumLen; i < zero; i++ {
		b[i] = 0xff
	}
	copy(b[zero+1:], content)
	var scratch [maxContent + ivLen]byte
	sum := checksum(&b, content, &scratch)
	copy(b[ivLen:], sum[:])
	return b
}

func pair(in Instructions, frag []byte) []byte {
	in.Size = uint16(len(frag))
	return append(in.Append(nil), frag...)
}

func first(id uint32, frag []byte) []byte {
	return pair(Instructions{Fragmented: true, MsgID: id}, frag)
}

func follow(id uint32, num int, last bool, frag []byte) []byte {
	return pair(Instructions{FollowOn: true, MsgID: id, Number: uint8(num), Last: last}, frag)
}

// TestEndpoint64Fragments: fragment numbers go up to 63, so a message may
// have 64 fragments (the Gateway never needs the 64th); zero-length
// fragments, which i2pd's gateway can send, are taken.
func TestEndpoint64Fragments(t *testing.T) {
	var bodies collect
	var want []byte
	bodies = append(bodies, handBody(t, first(5, nil)))
	for n := 1; n <= MaxFragmentNumber; n++ {
		f := bytes.Repeat([]byte{byte(n)}, maxFollowOnData)
		want = append(want, f...)
		bodies = append(bodies, handBody(t, follow(5, n, n == MaxFragmentNumber, f)))
	}
	sameMessages(t, endpointMessages(t, bodies), []message{{Delivery{}, want}})
}

// endpointRun feeds bodies to e and returns the delivered messages and
// the errors.
func endpointRun(e *Endpoint, now time.Time, bodies ...[i2np.TunnelDataLen]byte) ([]message, []error) {
	var got []message
	var errs []error
	for i := range bodies {
		if err := e.Receive(&bodies[i], now, func(d Delivery, msg []byte) { got = append(got, message{d, bytes.Clone(msg)}) }); err != nil {
			errs = append(errs, err)
		}
	}
	return got, errs
}

func TestEndpointReassembly(t *testing.T) {
	a, b, c := []byte("aaaa"), []byte("bbbb"), []byte("cc")
	whole := []message{{Delivery{}, []byte("aaaabbbbcc")}}
	for _, tc := range []struct {
		name   string
		bodies [][]byte
		want   []message
		dups   uint64
		drops  uint64
		left   int
	}{
		{"in order", [][]byte{first(1, a), follow(1, 1, false, b), follow(1, 2, true, c)}, whole, 0, 0, 0},
		{"reversed", [][]byte{follow(1, 2, true, c), follow(1, 1, false, b), first(1, a)}, whole, 0, 0, 0},
		{"duplicates", [][]byte{follow(1, 1, false, b), follow(1, 1, false, b), first(1, a), first(1, a), follow(1, 2, true, c)}, whole, 2, 0, 0},
		{"missing middle", [][]byte{first(1, a), follow(1, 2, true, c)}, nil, 0, 0, 1},
		{"two last", [][]byte{first(1, a), follow(1, 2, true, c), follow(1, 1, true, b)}, nil, 0, 1, 0},
		{"after last", [][]byte{first(1, a), follow(1, 1, true, b), follow(1, 2, false, c)}, []message{{Delivery{}, []byte("aaaabbbb")}}, 0, 0, 1},
		{"last below held", [][]byte{follow(1, 2, false, c), follow(1, 1, true, b)}, nil, 0, 1, 0},
		{"interleaved", [][]byte{first(1, a), first(2, c), follow(2, 1, true, a), follow(1, 1, true, b)},
			[]message{{Delivery{}, []byte("ccaaaa")}, {Delivery{}, []byte("aaaabbbb")}}, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEndpoint(EndpointConfig{})
			var bodies [][i2np.TunnelDataLen]byte
			for _, p := range tc.bodies {
				bodies = append(bodies, handBody(t, p))
			}
			got, errs := endpointRun(e, testNow, bodies...)
			if errs != nil {
				t.Fatal(errs)
			}
			sameMessages(t, got, tc.want)
			st := e.Stats()
			if n, _ := e.Partial(); st.Duplicates != tc.dups || st.Dropped != tc.drops || n != tc.left {
				t.Fatalf("stats %+v, %d partial", st, n)
			}
		})
	}
	// Several pairs in one body, the first delivered at once.
	e := NewEndpoint(EndpointConfig{})
	got, errs := endpointRun(e, testNow, handBody(t, pair(Instructions{}, []byte("x")), first(3, a), follow(3, 1, true, c)))
	if errs != nil {
		t.Fatal(errs)
	}
	sameMessages(t, got, []message{{Delivery{}, []byte("x")}, {Delivery{}, []byte("aaaacc")}})
}

func TestEndpointTimeout(t *testing.T) {
	e := NewEndpoint(EndpointConfig{Timeout: 5 * time.Second})
	endpointRun(e, testNow, handBody(t, first(1, []byte("a"))))
	endpointRun(e, testNow.Add(3*time.Second), handBody(t, first(2, []byte("b"))))
	e.Expire(testNow.Add(5*time.Second - 1))
	if n, _ := e.Partial(); n != 2 {
		t.Fatalf("%d partial before the timeout", n)
	}
	// Receive expires too: message 1 is gone, so its last fragment starts
	// a new partial message instead of completing it.
	got, _ := endpointRun(e, testNow.Add(5*time.Second), handBody(t, follow(1, 1, true, []byte("z"))))
	if got != nil || e.Stats().Expired != 1 {
		t.Fatalf("delivered %v, stats %+v", got, e.Stats())
	}
	e.Expire(testNow.Add(time.Hour))
	if n, b := e.Partial(); n != 0 || b != 0 || e.Stats().Expired != 3 {
		t.Fatalf("%d partial (%d bytes) after expiry, stats %+v", n, b, e.Stats())
	}
}

func TestEndpointLimits(t *testing.T) {
	frag := bytes.Repeat([]byte{1}, 900)
	for _, tc := range []struct {
		name string
		cfg  EndpointConfig
	}{
		{"messages", EndpointConfig{MaxMessages: 2}},
		{"bytes", EndpointConfig{MaxBytes: 2000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Three partial messages of 900 bytes: the oldest goes.
			e := NewEndpoint(tc.cfg)
			for id := range uint32(3) {
				endpointRun(e, testNow.Add(time.Duration(id)*time.Millisecond), handBody(t, first(id+1, frag)))
			}
			if n, b := e.Partial(); n != 2 || b != 1800 || e.Stats().Dropped != 1 {
				t.Fatalf("%d partial messages, %d bytes, stats %+v", n, b, e.Stats())
			}
			got, _ := endpointRun(e, testNow, handBody(t, follow(2, 1, true, []byte("y"))), handBody(t, follow(3, 1, true, []byte("z"))))
			if len(got) != 2 || got[0].msg[900] != 'y' {
				t.Fatalf("delivered %v", got)
			}
		})
	}
	// A single fragment above MaxBytes is dropped with its message.
	e := NewEndpoint(EndpointConfig{MaxBytes: 100})
	endpointRun(e, testNow, handBody(t, first(1, frag)))
	if n, _ := e.Partial(); n != 0 {
		t.Fatal("oversized fragment kept")
	}
}

func TestEndpointRejects(t *testing.T) {
	var noZero [i2np.TunnelDataLen]byte
	for i := range noZero {
		noZero[i] = 1
	}
	long := handBody(t, pair(Instructions{}, []byte("abc")))
	long[i2np.TunnelDataLen-4]++ // size 3 → 4, fixed checksum below
	var scratch [maxContent + ivLen]byte
	sum := checksum(&long, long[i2np.TunnelDataLen-6:], &scratch)
	copy(long[ivLen:], sum[:])
	for _, tc := range []struct {
		name string
		body [i2np.TunnelDataLen]byte
	}{
		{"no zero byte", noZero},
		{"fragment past the end", long},
		{"bad instructions", handBody(t, []byte{0x60, 0, 1, 'x'})},
		{"truncated instructions", handBody(t, pair(Instructions{}, []byte("ok")), []byte{0x82, 0})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEndpoint(EndpointConfig{})
			_, errs := endpointRun(e, testNow, tc.body)
			if len(errs) != 1 || !errors.Is(errs[0], ErrBadFragment) || e.Stats().Rejected != 1 {
				t.Fatalf("errors %v, stats %+v", errs, e.Stats())
			}
		})
	}
	// All padding, no pairs: cover traffic, valid and empty.
	var cover [i2np.TunnelDataLen]byte = handBody(t)
	if got, errs := endpointRun(NewEndpoint(EndpointConfig{}), testNow, cover); got != nil || errs != nil {
		t.Fatalf("cover traffic: %v %v", got, errs)
	}
}

func TestEndpointAllocs(t *testing.T) {
	b := handBody(t, pair(Instructions{}, make([]byte, 200)), pair(Instructions{Delivery: Delivery{Type: DeliveryRouter}}, make([]byte, 300)))
	e := NewEndpoint(EndpointConfig{})
	deliver := func(Delivery, []byte) {}
	if a := testing.AllocsPerRun(100, func() { _ = e.Receive(&b, testNow, deliver) }); a != 0 {
		t.Fatalf("%v allocations per body", a)
	}
	g := testGateway(1)
	msg := make([]byte, 1000)
	emit := func(*[i2np.TunnelDataLen]byte) {}
	_ = g.Add(Delivery{}, msg, emit)
	if a := testing.AllocsPerRun(100, func() { _ = g.Add(testDeliveries[2], msg, emit) }); a != 0 {
		t.Fatalf("%v allocations per Add", a)
	}
}

func BenchmarkGateway(b *testing.B) {
	for _, n := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("%dKiB", n>>10), func(b *testing.B) {
			g := NewGateway(nil)
			msg := make([]byte, n)
			d := Delivery{Type: DeliveryTunnel, TunnelID: 1, To: data.Hash{1}}
			emit := func(*[i2np.TunnelDataLen]byte) {}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := g.Add(d, msg, emit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEndpoint(b *testing.B) {
	for _, n := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("%dKiB", n>>10), func(b *testing.B) {
			bodies := gatewayBodies(b, 1, []message{{testDeliveries[2], make([]byte, n)}})
			e := NewEndpoint(EndpointConfig{})
			deliver := func(Delivery, []byte) {}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				for i := range bodies {
					if err := e.Receive(&bodies[i], testNow, deliver); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
