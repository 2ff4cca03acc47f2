package i2ptunnel

import (
	"slices"
	"sync"

	"github.com/veil-i2p/veil/internal/client"
)

// UDPMux shares one destination's datagrams among the UDP tunnels on it
// (tunnels.conf sections with the same keys file share a destination, as
// in i2pd): a datagram goes to the udpclient that has a conversation on
// its destination port, else to the udpserver. (i2pd 2.45 gives all of a
// destination's datagrams to the tunnel started last, so a udpclient and
// a udpserver on one destination do not work there; here they do.)
type UDPMux struct {
	dest Datagrams

	mu      sync.Mutex
	clients []*UDPClient
	servers []*UDPServer
}

// datagramProtocols are the I2CP protocols the UDP tunnels take.
var datagramProtocols = [...]uint8{client.ProtoDatagram, client.ProtoRaw, client.ProtoDatagram2, client.ProtoDatagram3}

// NewUDPMux takes over the datagram protocols of d.
func NewUDPMux(d Datagrams) *UDPMux {
	m := &UDPMux{dest: d}
	for _, p := range datagramProtocols {
		d.HandleProtocol(p, m.deliver)
	}
	return m
}

// deliver routes one received datagram. It runs on the router's
// local-delivery goroutine: the tunnels only write to UDP sockets.
func (m *UDPMux) deliver(r client.Received) {
	m.mu.Lock()
	clients, server := m.clients, (*UDPServer)(nil)
	if len(m.servers) > 0 {
		server = m.servers[0]
	}
	m.mu.Unlock()
	for _, c := range clients {
		if c.hasConversation(r.DstPort) {
			c.fromI2P(r)
			return
		}
	}
	switch {
	case server != nil:
		server.fromI2P(r)
	case len(clients) > 0:
		clients[0].cnt.drop("no conversation on the destination port")
	}
}

func (m *UDPMux) addClient(c *UDPClient)    { m.update(func() { m.clients = with(m.clients, c) }) }
func (m *UDPMux) removeClient(c *UDPClient) { m.update(func() { m.clients = without(m.clients, c) }) }
func (m *UDPMux) addServer(s *UDPServer)    { m.update(func() { m.servers = with(m.servers, s) }) }
func (m *UDPMux) removeServer(s *UDPServer) { m.update(func() { m.servers = without(m.servers, s) }) }

func (m *UDPMux) update(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f()
}

// with and without return new lists, so deliver reads them unlocked.
func with[T comparable](l []T, x T) []T { return append(slices.Clone(l), x) }

func without[T comparable](l []T, x T) []T {
	return slices.DeleteFunc(slices.Clone(l), func(y T) bool { return y == x })
}
