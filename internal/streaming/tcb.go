package streaming

import "time"

// Control block sharing ("Control Block Sharing"; RFC 2140, temporal
// sharing): a connection that ends leaves its RTT, RTT variance and
// window with its Manager (so no other local destination learns them),
// and the next connection to the same peer within 15 minutes starts from
// them instead of the 9 s initial RTO and the initial window. Stored
// values are damped as Java does (new = 3/4 old + 1/4 latest).

const (
	tcbExpire    = 15 * time.Minute
	tcbDampening = 0.75
	tcbMaxRTT    = maxRTO / 2
	tcbMaxWindow = 64 // Java's MAX_SLOW_START_WINDOW
	tcbMaxPeers  = 1024
)

type tcbEntry struct {
	srtt, rttvar time.Duration
	window       float64
	updated      time.Time
}

// shareLocked records what the finished connection c learned of its
// peer. The caller holds m.mu and c.mu.
func (m *Manager) shareLocked(c *Conn, now time.Time) {
	r := &c.snd.rtt
	if !r.sampled || c.snd.sent == 0 {
		return
	}
	peer := c.remote.Hash
	e, ok := m.tcb[peer]
	if !ok || now.Sub(e.updated) > tcbExpire {
		if !ok && len(m.tcb) >= tcbMaxPeers {
			m.expireTCBLocked(now)
			if len(m.tcb) >= tcbMaxPeers {
				return
			}
		}
		m.tcb[peer] = &tcbEntry{srtt: min(r.srtt, tcbMaxRTT), rttvar: min(r.rttvar, tcbMaxRTT*3/2),
			window: min(c.snd.win.cwnd, tcbMaxWindow), updated: now}
		return
	}
	damp := func(old, latest time.Duration) time.Duration {
		return time.Duration(tcbDampening*float64(old) + (1-tcbDampening)*float64(latest))
	}
	e.srtt = min(damp(e.srtt, r.srtt), tcbMaxRTT)
	e.rttvar = min(damp(e.rttvar, r.rttvar), tcbMaxRTT*3/2)
	e.window = min(tcbDampening*e.window+(1-tcbDampening)*c.snd.win.cwnd, tcbMaxWindow)
	e.updated = now
}

// expireTCBLocked forgets entries past tcbExpire.
func (m *Manager) expireTCBLocked(now time.Time) {
	for h, e := range m.tcb {
		if now.Sub(e.updated) > tcbExpire {
			delete(m.tcb, h)
		}
	}
}

// loadSharedLocked starts c from what the last connection to its peer
// learned, if it is recent. The window is shared out among the
// connections already open to the peer, so that a hundred opening at once
// do not each start with the window one connection had. The caller holds
// m.mu; c is not running yet.
func (m *Manager) loadSharedLocked(c *Conn, now time.Time) {
	e, ok := m.tcb[c.remote.Hash]
	if !ok || now.Sub(e.updated) > tcbExpire {
		return
	}
	r := &c.snd.rtt
	r.srtt, r.rttvar, r.min, r.sampled = e.srtt, e.rttvar, e.srtt, true
	r.rto = min(max(r.srtt+max(rttGranularity, 4*r.rttvar), r.floor), maxRTO)
	open := 1
	for _, o := range m.conns {
		if o.remote.Hash == c.remote.Hash {
			open++
		}
	}
	c.snd.win.cwnd = max(c.snd.win.cwnd, min(e.window/float64(open), c.snd.win.max))
}
