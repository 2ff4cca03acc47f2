package router

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/sam"
	"github.com/veil-i2p/veil/internal/streaming"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// The SAM bridge (internal/sam) sits below the router in the layers and
// declares the small Router and Session interfaces it needs; samRouter
// and samSession implement them with OpenSession's sessions: each SAM
// session is a destination with its own pool, LeaseSet2 and status
// entry, its I2CP options (inbound.length, i2cp.leaseSetEncType, …)
// read as tunnels.conf reads a section's.

// SAMConfig is i2pd's [sam] section.
type SAMConfig struct {
	Address string // sam.address, 127.0.0.1
	Port    int    // sam.port, 7656
	// PortUDP is sam.portudp; 0 is sam.port - 1 (7655), as in i2pd,
	// whose 2.45 has no option and always uses that port.
	PortUDP int
}

// ListenSAM binds a SAM bridge on r; Serve runs it (until its context
// ends; start it beside Run: sessions wait for the router to start).
func (r *Router) ListenSAM(c SAMConfig) (*sam.Server, error) {
	udp := c.PortUDP
	if udp == 0 {
		udp = c.Port - 1
	}
	return sam.Listen(sam.Config{
		Address:    net.JoinHostPort(c.Address, strconv.Itoa(c.Port)),
		UDPAddress: net.JoinHostPort(c.Address, strconv.Itoa(udp)),
		Router:     samRouter{r}, Log: r.log.With("service", "sam"),
	})
}

// runSAM runs the bridge of cfg.SAM until ctx ends. A port in use is
// logged and the router runs without SAM, as i2pd does.
func (r *Router) runSAM(ctx context.Context) {
	if r.cfg.SAM == nil {
		return
	}
	srv, err := r.ListenSAM(*r.cfg.SAM)
	if err == nil {
		r.log.Info("SAM datagrams", "udp", srv.UDPAddr().String())
		r.mu.Lock()
		r.samBridge = srv // for the console
		r.mu.Unlock()
	}
	r.runBridge(ctx, "SAM", srv, err)
}

// bridge is a local service (SAM, BOB) the router runs.
type bridge interface {
	Addr() net.Addr
	Serve(context.Context) error
}

// runBridge serves srv, which Listen returned with err, until ctx ends.
func (r *Router) runBridge(ctx context.Context, name string, srv bridge, err error) {
	if err != nil {
		r.log.Error("no "+name+" bridge", "err", err)
		return
	}
	r.log.Info(name+" bridge listening", "address", srv.Addr().String())
	if err := srv.Serve(ctx); err != nil {
		r.log.Error(name+" bridge stopped", "err", err)
	}
}

// SAMRouter is the router as the SAM bridge sees it.
func (r *Router) SAMRouter() sam.Router { return samRouter{r} }

type samRouter struct{ r *Router }

// samReadyPoll is how often a new session's LeaseSet is checked for.
const samReadyPoll = 100 * time.Millisecond

// OpenSession opens a destination and answers once its LeaseSet2 is
// built, that is its tunnels are (samv3.html: "the router builds
// tunnels before responding with SESSION STATUS").
func (b samRouter) OpenSession(ctx context.Context, cfg sam.SessionConfig) (sam.Session, error) {
	sc, err := optionsSessionConfig(cfg.Name, cfg.Keys, cfg.Options)
	if err != nil {
		return nil, err
	}
	s, err := b.r.openReady(ctx, sc)
	if err != nil {
		return nil, err
	}
	return &samSession{s: s}, nil
}

// openReady opens a session and returns once its LeaseSet2 is built.
func (r *Router) openReady(ctx context.Context, sc SessionConfig) (*Session, error) {
	s, err := r.OpenSession(ctx, sc)
	if err != nil {
		return nil, err
	}
	t := time.NewTicker(samReadyPoll)
	defer t.Stop()
	for s.Destination().LeaseSet() == nil {
		select {
		case <-ctx.Done():
			s.Close()
			return nil, fmt.Errorf("tunnels not built: %w", ctx.Err())
		case <-t.C:
		}
	}
	return s, nil
}

// optionsSessionConfig reads the I2CP options of a SAM session or a BOB
// tunnel: the pool shape (i2pd's defaults for those not given),
// i2cp.leaseSetEncType, the LeaseSet options and the streaming options.
func optionsSessionConfig(name string, keys *keyfile.PrivateKeys, o map[string]string) (SessionConfig, error) {
	l, q := tunnel.DefaultClientLength, tunnel.DefaultClientQuantity
	p := PoolShape{InboundLength: l, OutboundLength: l, InboundQuantity: q, OutboundQuantity: q}
	for _, f := range []struct {
		key      string
		v        *int
		min, max int
	}{
		{"inbound.length", &p.InboundLength, 0, tunnel.MaxHops - 1},
		{"outbound.length", &p.OutboundLength, 0, tunnel.MaxHops - 1},
		{"inbound.quantity", &p.InboundQuantity, 1, 16},
		{"outbound.quantity", &p.OutboundQuantity, 1, 16},
	} {
		if s, ok := o[f.key]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < f.min || n > f.max {
				return SessionConfig{}, fmt.Errorf("%s=%s: want %d to %d", f.key, s, f.min, f.max)
			}
			*f.v = n
		}
	}
	sc := SessionConfig{Name: name, Keys: keys, Pool: p}
	if s, ok := o[client.OptLeaseSetEncType]; ok {
		types, err := client.ParseEncTypes(s)
		if err != nil {
			return SessionConfig{}, err
		}
		sc.EncTypes = types
	}
	lo := o
	if v := strings.TrimSpace(o[client.OptLeaseSetType]); v == "1" {
		// Type 1 (the old LeaseSet) is what Java clients ask for by
		// habit; veil publishes a LeaseSet2 instead, as i2pd does.
		lo = make(map[string]string, len(o))
		for k, v := range o {
			lo[k] = v
		}
		delete(lo, client.OptLeaseSetType)
	}
	ls, err := client.ParseLeaseSetOptions(lo)
	if err != nil {
		return SessionConfig{}, err
	}
	sc.LeaseSet = ls
	so, err := streaming.ParseOptions(o)
	if err != nil {
		return SessionConfig{}, err
	}
	sc.Streaming = &so
	return sc, nil
}

// Lookup resolves a name for NAMING LOOKUP: the full destination, from
// the addressbook or the LeaseSet.
func (b samRouter) Lookup(ctx context.Context, name string, withOpts bool) (sam.Found, error) {
	r := b.r
	lower := strings.ToLower(name)
	switch {
	case data.IsB33(lower):
		in, err := client.LookupB33(ctx, routerNet{r}, lower, client.B33Key{}, r.cfg.now())
		if err != nil {
			return sam.Found{}, fmt.Errorf("%w: %v", sam.ErrNoLeaseSet, err)
		}
		return foundInner(in), nil
	case strings.HasSuffix(lower, ".b32.i2p"):
		h, err := data.ParseB32(lower)
		if err != nil {
			return sam.Found{}, fmt.Errorf("%w: %v", sam.ErrNotFound, err)
		}
		return b.leaseSet(ctx, h)
	}
	if r.book != nil {
		if d, ok := r.book.book.Lookup(lower); ok {
			if !withOpts {
				return sam.Found{Destination: d}, nil
			}
			f, err := b.leaseSet(ctx, d.Hash())
			f.Destination = d
			return f, err
		}
	}
	h, err := r.Resolve(ctx, name)
	if err != nil {
		if errors.Is(err, i2ptunnel.ErrUnknownName) {
			return sam.Found{}, fmt.Errorf("%w: %v", sam.ErrNotFound, err)
		}
		return sam.Found{}, err
	}
	return b.leaseSet(ctx, h)
}

// leaseSet finds the LeaseSet of h and reads its destination and options.
func (b samRouter) leaseSet(ctx context.Context, h data.Hash) (sam.Found, error) {
	ls, err := routerNet{b.r}.LookupLeaseSet(ctx, h)
	if err != nil {
		return sam.Found{}, fmt.Errorf("%w: %v", sam.ErrNoLeaseSet, err)
	}
	switch e := ls.Entry.(type) {
	case *data.LeaseSet2:
		return foundInner(e), nil
	case *data.MetaLeaseSet:
		return foundInner(e), nil
	case *data.LeaseSet:
		return sam.Found{Destination: e.Destination}, nil
	}
	return sam.Found{}, fmt.Errorf("%w: LeaseSet of type %d names no destination", sam.ErrNoLeaseSet, ls.Type)
}

// foundInner reads a LeaseSet2's or MetaLeaseSet's destination and options.
func foundInner(in data.InnerLeaseSet) sam.Found {
	var f sam.Found
	var opts data.Mapping
	switch e := in.(type) {
	case *data.LeaseSet2:
		f.Destination, opts = e.Destination, e.Options
	case *data.MetaLeaseSet:
		f.Destination, opts = e.Destination, e.Options
	}
	for _, p := range opts.Pairs() {
		f.Options = append(f.Options, sam.Pair{Key: p.Key, Value: p.Value})
	}
	return f
}

// samSession is a router Session as a SAM session.
type samSession struct{ s *Session }

func (ss *samSession) Dial(ctx context.Context, to data.Hash, src, dst uint16) (net.Conn, error) {
	c, err := ss.s.Streams().DialPorts(ctx, to, src, dst)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (ss *samSession) Listen(port uint16) (net.Listener, error) { return ss.s.Streams().Listen(port) }

func (ss *samSession) Send(ctx context.Context, to data.Hash, d sam.Datagram) error {
	dst := ss.s.Destination()
	switch d.Proto {
	case client.ProtoDatagram:
		return dst.SendDatagram(ctx, to, d.SrcPort, d.DstPort, d.Payload)
	case client.ProtoDatagram2:
		return dst.SendDatagram2(ctx, to, d.SrcPort, d.DstPort, d.Payload)
	case client.ProtoDatagram3:
		return dst.SendDatagram3(ctx, to, d.SrcPort, d.DstPort, d.Payload)
	}
	return dst.Send(ctx, to, client.Payload{Protocol: d.Proto, SrcPort: d.SrcPort, DstPort: d.DstPort, Data: d.Payload})
}

// Handle routes a protocol's datagrams to h; protocol 0 (a RAW
// subsession's LISTEN_PROTOCOL=0) takes those of every protocol without
// a handler of its own.
func (ss *samSession) Handle(proto uint8, h func(sam.Datagram)) {
	dst := ss.s.Destination()
	var ch client.Handler
	if h != nil {
		ch = func(r client.Received) {
			d := sam.Datagram{Proto: r.Protocol, SrcPort: r.SrcPort, DstPort: r.DstPort, Payload: r.Data, FromHash: r.Sender}
			if len(r.SenderDest) > 0 {
				if from, _, err := data.ParseKeysAndCert(r.SenderDest); err == nil {
					d.From = from
				}
			}
			h(d)
		}
	}
	if proto == 0 {
		dst.SetHandler(ch)
		return
	}
	dst.HandleProtocol(proto, ch)
}

func (ss *samSession) Close() error { return ss.s.Close() }

// Resolve resolves .i2p names through the session, so that a b33
// address it looked up can be sent to.
func (ss *samSession) Resolve(ctx context.Context, name string) (data.Hash, error) {
	return ss.s.Resolve(ctx, name)
}
