package tunnel

import (
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// What reaches Tunnels: build replies (an inbound build's ShortTunnelBuild
// straight from the last hop; an outbound build's OutboundTunnelBuildReply
// through one of our inbound tunnels, in one-time garlic), TunnelData on
// our inbound tunnels, TunnelGateway for our zero-hop inbound tunnels, and
// the DeliveryStatus of our tunnel tests.

// HandleBuildReply takes a build reply (type 25 or 26) with message id
// id. It reports false when the id is not one of our pending builds, so
// the caller can treat a type 25 as a transit request.
func (t *Tunnels) HandleBuildReply(typ uint8, id uint32, payload []byte) bool {
	now := t.cfg.Now()
	t.mu.Lock()
	pb := t.pending[id]
	if pb == nil {
		t.mu.Unlock()
		return false
	}
	delete(t.pending, id)
	delete(t.tags, pb.tag)
	pb.pool.donePending(pb.inbound)
	codes, err := t.openReplies(typ, pb, payload)
	ok := err == nil
	for i, h := range pb.hops {
		agreed := ok && codes[i] == replyAccept
		t.cfg.Profiles.update(h, now, func(p *profile) {
			if agreed {
				p.Agreed++
			} else {
				p.Rejected++
			}
		})
		ok = agreed && ok
	}
	t.outcome(now, ok)
	if ok && !pb.pool.removed {
		t.addTunnelLocked(pb, now)
	}
	t.mu.Unlock()
	t.cfg.Log.Debug("tunnel: build reply", "pool", pb.pool.cfg.Name, "inbound", pb.inbound, "codes", codes, "ok", ok, "err", err)
	return true
}

func (t *Tunnels) openReplies(typ uint8, pb *pendingBuild, payload []byte) ([]byte, error) {
	var recs []i2np.ShortBuildRecord
	switch typ {
	case i2np.TypeShortTunnelBuild:
		m, err := i2np.ParseShortTunnelBuild(payload)
		if err != nil {
			return nil, err
		}
		recs = m.Records
	case i2np.TypeOutboundTunnelBuildReply:
		m, err := i2np.ParseOutboundTunnelBuildReply(payload)
		if err != nil {
			return nil, err
		}
		recs = m.Records
	default:
		return nil, fmt.Errorf("tunnel: build reply of type %d", typ)
	}
	if pb.inbound != (typ == i2np.TypeShortTunnelBuild) {
		return nil, fmt.Errorf("tunnel: %s for an %s build", i2np.TypeName(typ), map[bool]string{true: "inbound", false: "outbound"}[pb.inbound])
	}
	return pb.build.OpenReplies(recs)
}

// addTunnelLocked turns a successful build into a tunnel of its pool.
func (t *Tunnels) addTunnelLocked(pb *pendingBuild, now time.Time) {
	hops := pb.build.Hops
	if pb.inbound {
		it := &InboundTunnel{id: pb.ourID, gateway: hops[0].Ident, gwID: hops[0].ReceiveID,
			prev: hops[len(hops)-1].Ident, ep: NewEndpoint(EndpointConfig{})}
		it.init(hops, now, pb.pool)
		t.inbound[it.id] = it
		pb.pool.inbound = append(pb.pool.inbound, it)
		return
	}
	ot := &OutboundTunnel{first: hops[0].Ident, firstID: pb.firstID, gw: NewGateway(nil)}
	ot.init(hops, now, pb.pool)
	pb.pool.outbound = append(pb.pool.outbound, ot)
}

// HandleGarlic takes a Garlic message (type 11) delivered to us. It
// reports false unless its tag is one of our outbound builds' reply tags.
func (t *Tunnels) HandleGarlic(payload []byte) bool {
	g, err := i2np.ParseGarlic(payload)
	if err != nil || len(g.Body) < 8 {
		return false
	}
	var tag [8]byte
	copy(tag[:], g.Body)
	t.mu.Lock()
	pb := t.tags[tag]
	if pb != nil {
		delete(t.tags, tag)
	}
	t.mu.Unlock()
	if pb == nil {
		return false
	}
	key := pb.build.Hops[len(pb.build.Hops)-1].GarlicKey
	cloves, err := i2np.OpenOneTimeGarlic(&key, g.Body)
	if err != nil {
		t.cfg.Log.Debug("tunnel: build reply garlic", "err", err)
		return true
	}
	for _, c := range cloves {
		t.HandleBuildReply(c.Header.Type, c.Header.ID, c.Payload)
	}
	return true
}

// HandleTunnelData takes a TunnelData message; errNotOurs means it is not
// for one of our inbound tunnels.
func (t *Tunnels) HandleTunnelData(from data.Hash, payload []byte) error {
	td, err := i2np.ParseTunnelData(payload)
	if err != nil {
		return err
	}
	t.mu.Lock()
	it := t.inbound[td.TunnelID]
	t.mu.Unlock()
	if it == nil || len(it.hops) == 0 {
		return errNotOurs
	}
	if from != it.prev {
		return fmt.Errorf("tunnel: TunnelData for our tunnel %d from %s, not its last hop", td.TunnelID, from)
	}
	now := t.cfg.Now()
	DecryptLayers(it.layers, td.Data)
	var msgs [][]byte
	it.mu.Lock()
	it.msgs++
	err = it.ep.Receive(td.Data, now, func(d Delivery, msg []byte) {
		if d.Type == DeliveryLocal {
			msgs = append(msgs, append([]byte(nil), msg...))
		}
	})
	it.mu.Unlock()
	for _, m := range msgs {
		t.deliver(it.pool, m)
	}
	return err
}

// HandleTunnelGateway takes a TunnelGateway message; errNotOurs means it
// is not for one of our zero-hop inbound tunnels.
func (t *Tunnels) HandleTunnelGateway(payload []byte) error {
	tg, err := i2np.ParseTunnelGateway(payload)
	if err != nil {
		return err
	}
	t.mu.Lock()
	it := t.inbound[tg.TunnelID]
	t.mu.Unlock()
	if it == nil || len(it.hops) != 0 {
		return errNotOurs
	}
	t.deliver(it.pool, tg.Message)
	return nil
}

// NotOurs reports whether err says a message was not for our tunnels.
func NotOurs(err error) bool { return err == errNotOurs }

// deliver handles one message (standard header) an inbound tunnel of
// pool p (nil: the manager's own zero-hop tunnel) delivered: ours if it is
// a build reply, test or reply garlic, else Local's.
func (t *Tunnels) deliver(p *Pool, msg []byte) {
	h, body, _, err := i2np.ParseStandard(msg)
	if err != nil {
		t.cfg.Log.Debug("tunnel: delivered message", "err", err)
		return
	}
	switch h.Type {
	case i2np.TypeShortTunnelBuild, i2np.TypeOutboundTunnelBuildReply:
		if t.HandleBuildReply(h.Type, h.ID, body) {
			return
		}
	case i2np.TypeGarlic:
		if t.HandleGarlic(body) {
			return
		}
	case i2np.TypeDeliveryStatus:
		if ds, err := i2np.ParseDeliveryStatus(body); err == nil && t.testDone(ds.MsgID) {
			return
		}
	}
	if t.cfg.Local != nil {
		t.cfg.Local(p, h, body)
	}
}

// testLocked sends a test message through each established outbound
// tunnel of p to one of p's inbound tunnels (i2pd pairs them the same
// way): a DeliveryStatus that comes back to us through both.
func (t *Tunnels) testLocked(p *Pool, now time.Time, out []Out) []Out {
	for _, ot := range p.outbound {
		it := p.pickInbound(now)
		if it == nil || !ot.usable(now) || len(ot.hops)+len(it.hops) == 0 {
			continue
		}
		id := randomID()
		ds := i2np.DeliveryStatus{MsgID: id, Timestamp: now}
		msg, err := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeDeliveryStatus, ID: id, Expiration: now.Add(testTimeout)}, ds.Append(nil))
		if err != nil {
			continue
		}
		gw, gwID := it.Gateway()
		o, err := ot.Send(Delivery{Type: DeliveryTunnel, To: gw, TunnelID: gwID}, msg, now, out)
		if err != nil {
			continue
		}
		out = o
		t.tests[id] = &pendingTest{in: it, out: ot, deadline: now.Add(testTimeout)}
		t.cfg.Log.Debug("tunnel: test sent", "id", id, "out", len(ot.hops), "in", len(it.hops))
	}
	return out
}

// testDone records a test message's return.
func (t *Tunnels) testDone(id uint32) bool {
	now := t.cfg.Now()
	t.mu.Lock()
	pt := t.tests[id]
	delete(t.tests, id)
	if pt != nil {
		t.testsOK++
	}
	t.mu.Unlock()
	if pt == nil {
		return false
	}
	for _, ot := range []*ownTunnel{&pt.in.ownTunnel, &pt.out.ownTunnel} {
		ot.mu.Lock()
		ot.tested, ot.fails = now, 0
		ot.mu.Unlock()
		for _, h := range ot.hops {
			t.cfg.Profiles.update(h.Ident, now, func(p *profile) { p.TestOK++ })
		}
	}
	return true
}
