package streaming

import (
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Connections that ended in failure (a timeout, an abort) are remembered
// for a while: packets that still come for them get a RESET again, in
// case the first was lost, so the peer stops waiting for a stream that
// is gone instead of retrying for minutes.

const (
	deadLife       = 2 * time.Minute
	maxDead        = 1024
	deadResetEvery = 5 * time.Second
)

type deadConn struct {
	peer                  data.Hash
	sendID, seq           uint32 // the peer's stream ID; our RESET's sequence number
	localPort, remotePort uint16
	expires, lastReset    time.Time
}

// buryLocked remembers a connection that ended with a RESET. The caller
// holds m.mu and c.mu.
func (m *Manager) buryLocked(c *Conn, now time.Time) {
	if !c.resetSent || c.sendID == 0 {
		return
	}
	if len(m.dead) >= maxDead {
		for id, d := range m.dead {
			if now.After(d.expires) {
				delete(m.dead, id)
			}
		}
		if len(m.dead) >= maxDead {
			return
		}
	}
	m.dead[c.recvID] = &deadConn{peer: c.remote.Hash, sendID: c.sendID, seq: c.snd.next - 1,
		localPort: c.local.Port, remotePort: c.remote.Port, expires: now.Add(deadLife)}
}

// resetDeadLocked answers a packet for the ended stream id with a RESET,
// at most every deadResetEvery; it reports whether id was such a stream.
// The caller holds m.mu.
func (m *Manager) resetDeadLocked(id uint32, p *Packet, now time.Time) bool {
	d := m.dead[id]
	if d == nil {
		return false
	}
	if now.After(d.expires) {
		delete(m.dead, id)
		return false
	}
	if p.Has(FlagReset) || now.Sub(d.lastReset) < deadResetEvery {
		return true
	}
	d.lastReset = now
	sendID, seq := d.sendID, d.seq
	m.control(ctrlPacket{to: d.peer, srcPort: d.localPort, dstPort: d.remotePort, build: func() ([]byte, error) {
		r := &Packet{SendStreamID: sendID, RecvStreamID: id, Seq: seq, Flags: FlagReset}
		m.id.withFrom(r)
		return m.id.sign(r)
	}})
	return true
}
