package transport

import (
	"net/netip"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Ban is one entry of a ban table, for status and logs.
type Ban struct {
	Router data.Hash  // zero for an IP ban
	IP     netip.Addr // invalid for a router ban
	Until  time.Time
	Reason string
}

// banTables holds bans by router hash and by IP, each capped: when a
// table is full, expired bans go first, then the one ending soonest.
type banTables struct {
	mu     sync.Mutex
	max    int
	hashes map[data.Hash]Ban
	ips    map[netip.Addr]Ban
}

func (b *banTables) init(max int) {
	b.max = max
	b.hashes = make(map[data.Hash]Ban)
	b.ips = make(map[netip.Addr]Ban)
}

// Ban bans router h for d and closes its session with reason 17.
func (m *Manager) Ban(h data.Hash, d time.Duration, reason string) {
	now := m.cfg.Now()
	m.bans.mu.Lock()
	addBan(m.bans.hashes, h, Ban{Router: h, Until: now.Add(d), Reason: reason}, m.bans.max, now)
	m.bans.mu.Unlock()
	m.log.Info("router banned", "peer", h.String(), "for", d, "reason", reason)
	if s := m.Session(h); s != nil {
		s.Close(ReasonBanned)
	}
}

// BanIP bans address ip for d and closes the sessions from it with
// reason 17. Its signature is the one transports take as their Ban hook.
func (m *Manager) BanIP(ip netip.Addr, d time.Duration, reason string) {
	ip = ip.Unmap()
	now := m.cfg.Now()
	m.bans.mu.Lock()
	addBan(m.bans.ips, ip, Ban{IP: ip, Until: now.Add(d), Reason: reason}, m.bans.max, now)
	m.bans.mu.Unlock()
	m.log.Info("address banned", "addr", ip.String(), "for", d, "reason", reason)
	for _, s := range m.Sessions() {
		if s.RemoteAddr().Addr().Unmap() == ip {
			s.Close(ReasonBanned)
		}
	}
}

// Banned reports whether router h is banned now.
func (m *Manager) Banned(h data.Hash) bool {
	now := m.cfg.Now()
	m.bans.mu.Lock()
	defer m.bans.mu.Unlock()
	b, ok := m.bans.hashes[h]
	return ok && now.Before(b.Until)
}

// IPBlocked reports whether ip is banned now or, with CheckReserved, in
// a reserved range. Transports take it as their Banned hook: a blocked
// address is neither accepted nor dialed. Like i2pd's inbound check,
// Yggdrasil addresses (200::/7) are not refused for being reserved.
func (m *Manager) IPBlocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if m.cfg.CheckReserved && Reserved(ip) && !yggdrasil(ip) {
		return true
	}
	now := m.cfg.Now()
	m.bans.mu.Lock()
	defer m.bans.mu.Unlock()
	b, ok := m.bans.ips[ip]
	return ok && now.Before(b.Until)
}

// Bans lists the bans in force.
func (m *Manager) Bans() []Ban {
	now := m.cfg.Now()
	m.bans.mu.Lock()
	defer m.bans.mu.Unlock()
	var out []Ban
	for _, b := range m.bans.hashes {
		if now.Before(b.Until) {
			out = append(out, b)
		}
	}
	for _, b := range m.bans.ips {
		if now.Before(b.Until) {
			out = append(out, b)
		}
	}
	return out
}

func (b *banTables) expire(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	expireBans(b.hashes, now)
	expireBans(b.ips, now)
}

func expireBans[K comparable](m map[K]Ban, now time.Time) {
	for k, b := range m {
		if !now.Before(b.Until) {
			delete(m, k)
		}
	}
}

// addBan sets m[k] = b, extending (never shortening) a ban in force and
// making room in a full table.
func addBan[K comparable](m map[K]Ban, k K, b Ban, max int, now time.Time) {
	if old, ok := m[k]; ok {
		if old.Until.After(b.Until) {
			b.Until = old.Until
		}
		m[k] = b
		return
	}
	if len(m) >= max {
		expireBans(m, now)
	}
	if len(m) >= max {
		var victim K
		var first time.Time
		for k, e := range m {
			if first.IsZero() || e.Until.Before(first) {
				victim, first = k, e.Until
			}
		}
		delete(m, victim)
	}
	m[k] = b
}
