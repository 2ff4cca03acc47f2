package sam

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Sessions (samv3.html, "SAM Sessions", "SAM PRIMARY Sessions"). A dest
// is one destination of the router, opened by SESSION CREATE and owned
// by the connection that created it: when that connection closes, the
// destination and everything on it ends. A sub is one SAM session on it:
// a standalone session is a dest with one sub of the same ID; a PRIMARY
// session's subs come and go with SESSION ADD and REMOVE. Received
// datagrams are routed to a sub by protocol and port, streams by port.

// Styles.
const (
	styleStream    = "STREAM"
	styleDatagram  = "DATAGRAM"
	styleRaw       = "RAW"
	styleDatagram2 = "DATAGRAM2"
	styleDatagram3 = "DATAGRAM3"
	stylePrimary   = "PRIMARY"
)

// I2CP protocols of the datagram styles.
const (
	protoStreaming = 6
	protoDatagram  = 17
	protoRaw       = 18
	protoDatagram2 = 19
	protoDatagram3 = 20
)

// dupWait is how long SESSION CREATE waits for a session of the same
// destination to end before it answers DUPLICATED_DEST.
const dupWait = 3 * time.Second

// samKeys are the SESSION options SAM itself reads; the rest go to the
// router as I2CP, tunnel and streaming options.
var samKeys = map[string]bool{
	"STYLE": true, "ID": true, "DESTINATION": true, "SIGNATURE_TYPE": true, "CRYPTO_TYPE": true,
	"PORT": true, "HOST": true, "FROM_PORT": true, "TO_PORT": true, "PROTOCOL": true,
	"HEADER": true, "LISTEN_PORT": true, "LISTEN_PROTOCOL": true, "SILENT": true,
	"SAM.UDP.HOST": true, "SAM.UDP.PORT": true,
}

// dest is one router destination and the SAM sessions on it.
type dest struct {
	srv     *Server
	owner   *conn
	id      string
	keys    *keyfile.PrivateKeys
	hashKey string
	primary bool
	rs      Session
	ctx     context.Context
	cancel  context.CancelFunc
	v       version
	queue   chan []byte // datagrams for the control socket
	wg      sync.WaitGroup
	gone    chan struct{} // closed once close has undone everything

	mu     sync.Mutex
	subs   map[string]*sub
	protos map[uint8]bool // protocols with a handler
	closed bool
}

// sub is one SAM session: its style, ports and where its traffic goes.
type sub struct {
	d        *dest
	id       string
	style    string
	from, to uint16 // default ports of what it sends
	proto    uint8  // RAW: protocol of what it sends
	lport    uint16 // LISTEN_PORT
	lproto   uint8  // RAW: LISTEN_PROTOCOL
	header   bool   // RAW: HEADER=true
	fwd      *net.UDPAddr
	streams  *streamSide // STREAM only
}

// inProto is the protocol a sub receives.
func (s *sub) inProto() uint8 {
	switch s.style {
	case styleDatagram:
		return protoDatagram
	case styleDatagram2:
		return protoDatagram2
	case styleDatagram3:
		return protoDatagram3
	case styleRaw:
		return s.lproto
	}
	return protoStreaming
}

// options are a SESSION CREATE's or ADD's parsed SAM options.
type options struct {
	style    string
	from, to uint16
	proto    uint8
	lport    uint16
	lproto   uint8
	header   bool
	fwd      *net.UDPAddr
	i2cp     map[string]string
}

// parseOptions reads the SAM options common to CREATE and ADD. peer is
// the client's address, HOST's default.
func parseOptions(cmd Command, add bool, peer net.Addr) (options, string, error) {
	o := options{style: strings.ToUpper(cmd.Value("STYLE")), proto: protoRaw, i2cp: map[string]string{}}
	if o.style == "MASTER" {
		o.style = stylePrimary
	}
	switch o.style {
	case styleStream, styleDatagram, styleRaw, styleDatagram2, styleDatagram3:
	case stylePrimary:
		if add {
			return o, "I2P_ERROR", fmt.Errorf("STYLE=PRIMARY cannot be a subsession")
		}
	case "":
		return o, "I2P_ERROR", fmt.Errorf("STYLE missing: use STREAM, DATAGRAM, RAW, DATAGRAM2, DATAGRAM3 or PRIMARY")
	default:
		return o, "I2P_ERROR", fmt.Errorf("STYLE=%s unknown: use STREAM, DATAGRAM, RAW, DATAGRAM2, DATAGRAM3 or PRIMARY", cmd.Value("STYLE"))
	}
	var err error
	port := func(key string) uint16 {
		v, ok := cmd.Get(key)
		if !ok || v == "" || err != nil {
			return 0
		}
		n, e := strconv.ParseUint(v, 10, 16)
		if e != nil {
			err = fmt.Errorf("%s=%s is not a port (0-65535)", key, v)
		}
		return uint16(n)
	}
	proto := func(key string, def uint8) uint8 {
		v, ok := cmd.Get(key)
		if !ok || v == "" || err != nil {
			return def
		}
		n, e := strconv.ParseUint(v, 10, 8)
		if e != nil {
			err = fmt.Errorf("%s=%s is not a protocol (0-255)", key, v)
		}
		return uint8(n)
	}
	o.from, o.to = port("FROM_PORT"), port("TO_PORT")
	o.proto = proto("PROTOCOL", protoRaw)
	o.lport = o.from
	if _, ok := cmd.Get("LISTEN_PORT"); ok {
		o.lport = port("LISTEN_PORT")
	}
	o.lproto = proto("LISTEN_PROTOCOL", o.proto)
	o.header = strings.EqualFold(cmd.Value("HEADER"), "true")
	udpPort := port("PORT")
	if err != nil {
		return o, "I2P_ERROR", err
	}
	if o.style == styleRaw {
		switch o.proto {
		case protoStreaming, protoDatagram, protoDatagram2, protoDatagram3:
			return o, "I2P_ERROR", fmt.Errorf("PROTOCOL=%d is reserved (6, 17, 19, 20): use 18 or another", o.proto)
		}
		if o.lproto == protoStreaming {
			return o, "I2P_ERROR", fmt.Errorf("LISTEN_PROTOCOL=6 is streaming: a RAW session cannot take it")
		}
	}
	if o.style == styleStream && add && o.lport != 0 && o.lport != o.from {
		return o, "I2P_ERROR", fmt.Errorf("LISTEN_PORT=%d: a STREAM subsession listens on FROM_PORT or 0", o.lport)
	}
	// PORT (and HOST) forward datagrams over UDP; without PORT they come
	// on the control socket. PORT on a STREAM session is meaningless and
	// ignored (go-sam-go sends PORT=0).
	if udpPort != 0 && o.style != styleStream && o.style != stylePrimary {
		host := cmd.Value("HOST")
		if host == "" {
			host = "127.0.0.1"
			if ta, ok := peer.(*net.TCPAddr); ok {
				host = ta.IP.String()
			}
		}
		ua, e := net.ResolveUDPAddr("udp", net.JoinHostPort(host, strconv.Itoa(int(udpPort))))
		if e != nil {
			return o, "I2P_ERROR", fmt.Errorf("HOST=%s PORT=%d: %v", host, udpPort, e)
		}
		o.fwd = ua
	}
	for _, p := range cmd.Pairs {
		if !samKeys[strings.ToUpper(p.Key)] {
			o.i2cp[p.Key] = p.Value
		}
	}
	return o, "", nil
}

// sessionCreate answers SESSION CREATE.
func (c *conn) sessionCreate(ctx context.Context, cmd Command) error {
	fail := func(result string, err error) error {
		return c.fail("SESSION", "STATUS", result, err.Error())
	}
	if c.dest != nil {
		return fail("I2P_ERROR", fmt.Errorf("this connection already has session %s: open another connection", c.dest.id))
	}
	id := cmd.Value("ID")
	if err := checkID(id); err != nil {
		return fail("I2P_ERROR", err)
	}
	o, result, err := parseOptions(cmd, false, c.nc.RemoteAddr())
	if err != nil {
		return fail(result, err)
	}
	var keys *keyfile.PrivateKeys
	switch d := cmd.Value("DESTINATION"); {
	case d == "":
		return fail("I2P_ERROR", fmt.Errorf("DESTINATION missing: use DESTINATION=TRANSIENT or a private key from DEST GENERATE"))
	case strings.EqualFold(d, "TRANSIENT"):
		st, err := parseSigType(cmd.Value("SIGNATURE_TYPE"))
		if err != nil {
			return fail("I2P_ERROR", err)
		}
		et, err := parseEncType(cmd.Value("CRYPTO_TYPE"))
		if err != nil {
			return fail("I2P_ERROR", err)
		}
		if keys, err = generateKeys(st, et); err != nil {
			return fail("I2P_ERROR", fmt.Errorf("cannot generate keys: %w", err))
		}
	default:
		if keys, err = parsePrivateKeys(d); err != nil {
			return fail("INVALID_KEY", fmt.Errorf("DESTINATION is not a private key: %w", err))
		}
		if keys.Offline != nil && o.style == styleDatagram {
			return fail("I2P_ERROR", fmt.Errorf("offline keys cannot sign repliable datagrams: use STYLE=DATAGRAM2"))
		}
	}
	hashKey := keys.Identity.Hash().String()
	d := &dest{srv: c.srv, owner: c, id: id, keys: keys, hashKey: hashKey, primary: o.style == stylePrimary,
		v: c.v, queue: make(chan []byte, 64), subs: make(map[string]*sub), protos: make(map[uint8]bool), gone: make(chan struct{})}
	s := c.srv
	// A client that closed a session and at once creates it again (the
	// same keys) would find it still closing: wait for that a moment.
	s.mu.Lock()
	old := s.dests[hashKey]
	s.mu.Unlock()
	if old != nil {
		select {
		case <-old.gone:
		case <-time.After(dupWait):
		}
	}
	// Reserve the ID and the destination before the slow part.
	s.mu.Lock()
	switch {
	case s.sessions[id] != nil:
		s.mu.Unlock()
		return fail("DUPLICATED_ID", fmt.Errorf("session ID %s is in use: pick another (a random one)", id))
	case s.dests[hashKey] != nil:
		s.mu.Unlock()
		return fail("DUPLICATED_DEST", fmt.Errorf("destination %s is in use by session %s", keys.Identity.Hash().B32(), s.dests[hashKey].id))
	}
	var first *sub
	if !d.primary {
		first = &sub{d: d, id: id, style: o.style, from: o.from, to: o.to, proto: o.proto,
			lport: 0, lproto: o.lproto, header: o.header, fwd: o.fwd}
		s.sessions[id] = first
	} else {
		s.sessions[id] = &sub{d: d, id: id, style: stylePrimary}
	}
	s.dests[hashKey] = d
	s.counters.Sessions++
	s.mu.Unlock()
	c.dest = d // from here on, closing the connection undoes it all

	cctx, cancel := context.WithTimeout(ctx, createTimeout)
	rs, err := s.cfg.Router.OpenSession(cctx, SessionConfig{Name: id, Keys: keys, Options: o.i2cp})
	cancel()
	if err != nil {
		c.dest = nil
		d.close()
		return fail("I2P_ERROR", fmt.Errorf("session not created: %w", err))
	}
	d.ctx, d.cancel = context.WithCancel(ctx)
	d.mu.Lock()
	d.rs = rs
	closed := d.closed
	d.mu.Unlock()
	if closed {
		rs.Close()
		return nil
	}
	if first != nil {
		if err := d.add(first); err != nil {
			c.dest = nil
			d.close()
			return fail("I2P_ERROR", err)
		}
	}
	d.wg.Add(1)
	go d.writeLoop()
	return c.send(reply("SESSION", "STATUS", "RESULT", "OK", "DESTINATION", privString(keys)))
}

// checkID checks a session ID: present, no spaces (the UDP header is
// split at them).
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("ID missing: give the session a name, e.g. ID=%s", "myapp")
	}
	if strings.ContainsAny(id, " \t\r\n") || len(id) > 256 {
		return fmt.Errorf("ID=%q: an ID is one word of at most 256 characters", id)
	}
	return nil
}

// sessionAdd answers SESSION ADD on a PRIMARY session's connection.
func (c *conn) sessionAdd(cmd Command) error {
	fail := func(result string, err error) error {
		return c.fail("SESSION", "STATUS", result, err.Error())
	}
	d := c.dest
	if d == nil || !d.primary {
		return fail("I2P_ERROR", fmt.Errorf("SESSION ADD needs a PRIMARY session on this connection: SESSION CREATE STYLE=PRIMARY first"))
	}
	if _, ok := cmd.Get("DESTINATION"); ok {
		return fail("I2P_ERROR", fmt.Errorf("DESTINATION is not allowed in SESSION ADD: subsessions use the primary's"))
	}
	id := cmd.Value("ID")
	if err := checkID(id); err != nil {
		return fail("I2P_ERROR", err)
	}
	o, result, err := parseOptions(cmd, true, c.nc.RemoteAddr())
	if err != nil {
		return fail(result, err)
	}
	if o.style == styleDatagram && d.keys.Offline != nil {
		return fail("I2P_ERROR", fmt.Errorf("offline keys cannot sign repliable datagrams: use STYLE=DATAGRAM2"))
	}
	sb := &sub{d: d, id: id, style: o.style, from: o.from, to: o.to, proto: o.proto,
		lport: o.lport, lproto: o.lproto, header: o.header, fwd: o.fwd}
	s := c.srv
	s.mu.Lock()
	if s.sessions[id] != nil {
		s.mu.Unlock()
		return fail("DUPLICATED_ID", fmt.Errorf("session ID %s is in use: pick another", id))
	}
	s.sessions[id] = sb
	s.mu.Unlock()
	if err := d.add(sb); err != nil {
		s.mu.Lock()
		delete(s.sessions, id)
		s.mu.Unlock()
		return fail("I2P_ERROR", err)
	}
	return c.send(reply("SESSION", "STATUS", "RESULT", "OK", "ID", id, "MESSAGE", "ADD "+id))
}

// sessionRemove answers SESSION REMOVE.
func (c *conn) sessionRemove(cmd Command) error {
	d := c.dest
	id := cmd.Value("ID")
	if d == nil || !d.primary {
		return c.fail("SESSION", "STATUS", "I2P_ERROR", "SESSION REMOVE needs a PRIMARY session on this connection")
	}
	d.mu.Lock()
	sb := d.subs[id]
	d.mu.Unlock()
	if sb == nil {
		return c.fail("SESSION", "STATUS", "INVALID_ID", fmt.Sprintf("no subsession %s on this PRIMARY session", id))
	}
	d.remove(sb)
	return c.send(reply("SESSION", "STATUS", "RESULT", "OK", "ID", id, "MESSAGE", "REMOVE "+id))
}

// add starts a sub on d: its listener or datagram handler.
func (d *dest) add(sb *sub) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("session closed")
	}
	for _, o := range d.subs {
		if o.style == sb.style && o.lport == sb.lport && o.inProto() == sb.inProto() {
			return fmt.Errorf("subsession %s already takes %s on LISTEN_PORT=%d: give LISTEN_PORT another value", o.id, o.style, o.lport)
		}
		if sb.style == styleStream && o.style == styleStream && o.lport == sb.lport {
			return fmt.Errorf("subsession %s already listens on port %d", o.id, o.lport)
		}
	}
	if sb.style == styleStream {
		ln, err := d.rs.Listen(sb.lport)
		if err != nil {
			return fmt.Errorf("cannot listen on port %d: %w", sb.lport, err)
		}
		sb.streams = newStreamSide(sb, ln)
		d.wg.Add(1)
		go sb.streams.acceptLoop(d.ctx)
	} else {
		p := sb.inProto()
		if !d.protos[p] {
			d.protos[p] = true
			d.rs.Handle(p, func(dg Datagram) { d.deliver(dg) })
		}
	}
	d.subs[sb.id] = sb
	return nil
}

// remove stops one sub.
func (d *dest) remove(sb *sub) {
	d.mu.Lock()
	if d.subs[sb.id] != sb {
		d.mu.Unlock()
		return
	}
	delete(d.subs, sb.id)
	p := sb.inProto()
	still := false
	for _, o := range d.subs {
		if o.style != styleStream && o.inProto() == p {
			still = true
		}
	}
	if sb.style != styleStream && !still {
		delete(d.protos, p)
		d.rs.Handle(p, nil)
	}
	d.mu.Unlock()
	if sb.streams != nil {
		sb.streams.close()
	}
	d.srv.mu.Lock()
	if d.srv.sessions[sb.id] == sb {
		delete(d.srv.sessions, sb.id)
	}
	d.srv.mu.Unlock()
}

// close ends the destination and all its subs; run calls it when the
// owning connection ends.
func (d *dest) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	subs := make([]*sub, 0, len(d.subs))
	for _, sb := range d.subs {
		subs = append(subs, sb)
	}
	rs := d.rs
	d.mu.Unlock()
	for _, sb := range subs {
		if sb.streams != nil {
			sb.streams.close()
		}
	}
	if d.cancel != nil {
		d.cancel()
	}
	if rs != nil {
		rs.Close()
	}
	d.wg.Wait()
	s := d.srv
	s.mu.Lock()
	for id, sb := range s.sessions {
		if sb.d == d {
			delete(s.sessions, id)
		}
	}
	if s.dests[d.hashKey] == d {
		delete(s.dests, d.hashKey)
	}
	s.mu.Unlock()
	close(d.gone)
}

// deliver routes a received datagram to the sub of its protocol whose
// LISTEN_PORT is the datagram's port, or else to the one on port 0.
func (d *dest) deliver(dg Datagram) {
	d.mu.Lock()
	var match, wild *sub
	for _, sb := range d.subs {
		if sb.style == styleStream || sb.inProto() != dg.Proto && sb.inProto() != 0 {
			continue
		}
		switch {
		case sb.lport == dg.DstPort && dg.DstPort != 0:
			match = sb
		case sb.lport == 0:
			wild = sb
		}
	}
	d.mu.Unlock()
	if match == nil {
		match = wild
	}
	if match == nil {
		d.srv.count(func(k *Counters) { k.DatagramsDropped++ })
		return
	}
	d.srv.count(func(k *Counters) { k.DatagramsReceived++ })
	match.receive(dg)
}

// fromString is how a received datagram names its sender: the full
// Base64 destination, or for Datagram3 the Base64 of its hash (44
// characters), which the client resolves as a b32 address.
func fromString(dg Datagram) string {
	if !dg.From.IsZero() {
		return pubString(dg.From)
	}
	return data.EncodeBase64(dg.FromHash[:])
}
