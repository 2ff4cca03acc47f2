// Package streamtest is an in-memory network for streaming Managers, for
// the tests of the packages above streaming (SAM, BOB): each attached
// destination gets a real streaming.Manager, and its packets are handed
// to the Manager of the destination they are addressed to, in order,
// without loss. It opens no socket.
package streamtest

import (
	"context"
	"errors"
	"sync"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/streaming"
)

// queueLen bounds each destination's queue of packets; more are dropped,
// as the network would.
const queueLen = 1024

// ErrUnknown is returned for packets to a destination not attached.
var ErrUnknown = errors.New("streamtest: no such destination")

// Network is the in-memory network. Its zero value is not usable: use New.
type Network struct {
	mu    sync.Mutex
	peers map[data.Hash]*peer
}

// New returns an empty network.
func New() *Network { return &Network{peers: make(map[data.Hash]*peer)} }

type peer struct {
	m    *streaming.Manager
	in   chan streaming.Inbound
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// sender is a Manager's streaming.Network.
type sender struct{ n *Network }

func (s sender) Send(ctx context.Context, to data.Hash, src, dst uint16, packet []byte) error {
	p := s.n.get(to)
	if p == nil {
		return ErrUnknown
	}
	select {
	case p.in <- streaming.Inbound{SrcPort: src, DstPort: dst, Packet: append([]byte(nil), packet...)}:
	default:
	}
	return nil
}

// Attach starts a Manager for the destination of keys (opts nil: the
// defaults). detach detaches it and ends its Manager.
func (n *Network) Attach(keys *keyfile.PrivateKeys, opts *streaming.Options) (m *streaming.Manager, detach func(), err error) {
	m, err = streaming.New(streaming.Config{Keys: keys, Net: sender{n}, Options: opts})
	if err != nil {
		return nil, nil, err
	}
	p := &peer{m: m, in: make(chan streaming.Inbound, queueLen), done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			select {
			case in := <-p.in:
				m.HandlePacket(in)
			case <-p.done:
				return
			}
		}
	}()
	h := keys.Identity.Hash()
	n.mu.Lock()
	n.peers[h] = p
	n.mu.Unlock()
	return m, func() {
		p.once.Do(func() {
			n.mu.Lock()
			if n.peers[h] == p {
				delete(n.peers, h)
			}
			n.mu.Unlock()
			m.Close()
			close(p.done)
			p.wg.Wait()
		})
	}, nil
}

func (n *Network) get(h data.Hash) *peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.peers[h]
}

// Has reports whether a destination is attached.
func (n *Network) Has(h data.Hash) bool { return n.get(h) != nil }

// Len is the number of destinations attached.
func (n *Network) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.peers)
}
