package streaming

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Incoming SYNs: the signature is checked first (nothing is kept for a
// SYN that fails it), then the replay hash, the access lists, the rate
// limits, the stream limit, the listener and its backlog. A refusal is
// answered as LimitAction says; refusals for the access lists are silent.

// http429 is the answer of LimitAction "http".
const http429 = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\n" +
	"Connection: close\r\n\r\nToo many requests from your destination; try again later.\r\n"

// verifyFrom checks that p is signed by its FROM destination (counting
// failures) and returns the key that signed it.
func (m *Manager) verifyFrom(p *Packet, now time.Time) (verifier, bool) {
	v, err := fromVerifier(p, now)
	if err == nil {
		err = v.verify(p)
	}
	if err != nil {
		m.count(&m.stats.BadSignature)
		return verifier{}, false
	}
	return v, true
}

// syn handles a SYN that opens a new inbound connection.
func (m *Manager) syn(p *Packet, in Inbound, now time.Time) {
	v, ok := m.verifyFrom(p, now)
	if !ok {
		return
	}
	if h, ok := p.ReplayHash(); ok && h != m.id.hash {
		m.count(&m.stats.Foreign) // a SYN meant for another destination
		return
	}
	if p.RecvStreamID == 0 {
		m.count(&m.stats.Malformed)
		return
	}
	peer := p.From.Hash()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	if c := m.incoming[p.RecvStreamID]; c != nil {
		m.mu.Unlock()
		c.enqueue(inPacket{p: p, verified: c.remote.Hash == peer, sender: in.Sender})
		return
	}
	if !m.limits.permitted(peer) {
		m.mu.Unlock()
		m.count(&m.stats.Refused)
		m.logRefusal("streaming: connection refused by the access list", "from", peer.B32())
		return
	}
	reason, action, throttled := "", m.opts.LimitAction, false
	l := m.listeners[in.DstPort]
	if l == nil {
		l = m.listeners[0]
	}
	switch {
	case m.limits.throttled(peer, now):
		reason, throttled = "connection rate limit", true
	case m.opts.MaxConcurrentStreams > 0 && len(m.conns) >= m.opts.MaxConcurrentStreams:
		reason, throttled = "too many streams", true
	case l == nil:
		reason, action = fmt.Sprintf("no listener on port %d", in.DstPort), "reset"
	}
	var c *Conn
	if reason == "" {
		c = newConn(m, false, m.newIDLocked(), Addr{Hash: m.id.hash, Port: in.DstPort}, Addr{Hash: peer, Port: in.SrcPort}, now)
		c.sendID, c.remoteDest, c.verifier, c.haveRemote, c.sender = p.RecvStreamID, p.From, v, true, in.Sender
		c.mtu = negotiateMTU(c.mtu, p)
		m.loadSharedLocked(c, now)
		c.inbox = append(c.inbox, inPacket{p: p, verified: true, sender: in.Sender})
		if e := m.early[p.RecvStreamID]; e != nil {
			c.inbox = append(c.inbox, e.pkts...)
			delete(m.early, p.RecvStreamID)
		}
		if !l.offer(c) {
			c, reason, action = nil, "backlog full", "reset"
		}
	}
	if c == nil {
		m.mu.Unlock()
		if throttled {
			m.count(&m.stats.Throttled)
		} else {
			m.count(&m.stats.Refused)
		}
		m.logRefusal("streaming: connection refused", "from", peer.B32(), "port", in.DstPort, "reason", reason, "action", action)
		m.refuse(p, in, action)
		return
	}
	m.conns[c.recvID] = c
	m.incoming[p.RecvStreamID] = c
	m.wg.Add(1)
	go c.run()
	m.mu.Unlock()
}

// logRefusal logs a refused connection unless DisableRejectLogging.
func (m *Manager) logRefusal(msg string, args ...any) {
	if !m.opts.DisableRejectLogging {
		m.log.Info(msg, args...)
	}
}

// refuse answers a refused SYN: nothing ("drop"), a RESET ("reset"), or
// a SYN reply that carries a response and CLOSE ("http" or any text).
func (m *Manager) refuse(syn *Packet, in Inbound, action string) {
	if action == "drop" {
		return
	}
	to, theirID := syn.From.Hash(), syn.RecvStreamID
	cp := ctrlPacket{to: to, srcPort: in.DstPort, dstPort: in.SrcPort}
	if action == "reset" {
		cp.build = func() ([]byte, error) {
			// Sequence 1, not 0: i2pd 2.45 takes a packet of sequence 0
			// without SYN for a plain ack and would never see the RESET.
			p := &Packet{SendStreamID: theirID, Seq: 1, Flags: FlagReset}
			m.id.withFrom(p)
			return m.id.sign(p)
		}
	} else {
		text := http429
		if action != "http" {
			text = strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(action)
		}
		m.mu.Lock()
		ourID := m.newIDLocked()
		m.mu.Unlock()
		cp.build = func() ([]byte, error) {
			p := &Packet{SendStreamID: theirID, RecvStreamID: ourID, Flags: FlagSynchronize | FlagClose | FlagMaxPacketSize,
				MaxSize: uint16(m.opts.MaxMessageSize), Payload: []byte(text)}
			m.id.withFrom(p)
			return m.id.sign(p)
		}
	}
	m.control(cp)
}

// echo answers a ping (ECHO with a stream ID) with a pong, and hands a
// pong to the Ping that waits for it.
func (m *Manager) echo(p *Packet, in Inbound, now time.Time) {
	if p.SendStreamID == 0 {
		m.mu.Lock()
		ch := m.pings[p.RecvStreamID]
		m.mu.Unlock()
		if ch != nil {
			select {
			case ch <- p.Payload:
			default:
			}
		}
		return
	}
	if !m.opts.AnswerPings {
		return
	}
	if _, ok := m.verifyFrom(p, now); !ok {
		return
	}
	pong := &Packet{RecvStreamID: p.SendStreamID, Flags: FlagEcho, Payload: p.Payload[:min(len(p.Payload), maxPingPayload)]}
	m.count(&m.stats.Pongs)
	m.control(ctrlPacket{to: p.From.Hash(), srcPort: in.DstPort, dstPort: in.SrcPort,
		build: func() ([]byte, error) { return pong.Append(nil) }})
}

// maxPingPayload is what a pong echoes of a ping's payload (0.9.18).
const maxPingPayload = 32

// Ping sends a signed ping to the destination to and waits for its pong;
// it returns the round-trip time.
func (m *Manager) Ping(ctx context.Context, to data.Hash) (time.Duration, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, fmt.Errorf("streaming: ping: manager closed")
	}
	id := m.newIDLocked()
	ch := make(chan []byte, 1)
	m.pings[id] = ch
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.pings, id)
		m.mu.Unlock()
	}()
	token := fmt.Appendf(nil, "%08x", id)
	p := &Packet{SendStreamID: id, Flags: FlagEcho, Payload: token}
	m.id.withFrom(p)
	b, err := m.id.sign(p)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := m.net.Send(ctx, to, 0, 0, b); err != nil {
		return 0, fmt.Errorf("streaming: ping: %w", err)
	}
	select {
	case <-ch:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, fmt.Errorf("streaming: ping %s: %w", to.B32(), ctx.Err())
	case <-m.ctx.Done():
		return 0, fmt.Errorf("streaming: ping: manager closed")
	}
}
