package sam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Datagrams (samv3.html, "SAM Datagrams"). Sent: through the UDP port,
// each packet a header line "3.x $nickname $destination [options]\n"
// then the payload, or on a socket with DATAGRAM SEND / RAW SEND and
// SIZE bytes after the line. Received: forwarded to the session's
// HOST:PORT (a repliable one after a line naming the sender and ports;
// a raw one as it is, or after a PROTOCOL/ports line with HEADER=true),
// or without PORT written on the control socket as DATAGRAM RECEIVED or
// RAW RECEIVED lines followed by SIZE bytes.

// Size limits (samv3.html): repliable datagrams up to 31744 bytes, raw
// up to 32768; UDP packets and control-socket payloads up to 64 KiB.
const (
	maxRepliable = 31744
	maxRaw       = 32768
	maxUDP       = 65535
)

// maxSize is the largest payload a style sends.
func maxSize(style string) int {
	if style == styleRaw {
		return maxRaw
	}
	return maxRepliable
}

// receive passes one datagram to the client.
func (s *sub) receive(dg Datagram) {
	d := s.d
	v32 := d.v.atLeast32()
	var hdr strings.Builder
	if s.fwd != nil {
		switch {
		case s.style != styleRaw:
			hdr.WriteString(fromString(dg))
			if v32 {
				fmt.Fprintf(&hdr, " FROM_PORT=%d TO_PORT=%d", dg.SrcPort, dg.DstPort)
			}
			hdr.WriteByte('\n')
		case s.header:
			fmt.Fprintf(&hdr, "FROM_PORT=%d TO_PORT=%d PROTOCOL=%d\n", dg.SrcPort, dg.DstPort, dg.Proto)
		}
		pkt := append([]byte(hdr.String()), dg.Payload...)
		if len(pkt) > maxUDP || d.srv.udp == nil {
			d.srv.count(func(k *Counters) { k.DatagramsDropped++ })
			return
		}
		out := d.srv.udp
		if s.fwd.IP.IsLoopback() && s.fwd.IP.To4() != nil {
			out = d.srv.lo
		}
		out.WriteToUDP(pkt, s.fwd)
		return
	}
	var r Reply
	if s.style == styleRaw {
		r = reply("RAW", "RECEIVED", "SIZE", strconv.Itoa(len(dg.Payload)))
		if v32 {
			r = r.With("FROM_PORT", strconv.Itoa(int(dg.SrcPort))).With("TO_PORT", strconv.Itoa(int(dg.DstPort))).
				With("PROTOCOL", strconv.Itoa(int(dg.Proto)))
		}
	} else {
		r = reply("DATAGRAM", "RECEIVED", "DESTINATION", fromString(dg), "SIZE", strconv.Itoa(len(dg.Payload)))
		if v32 {
			r = r.With("FROM_PORT", strconv.Itoa(int(dg.SrcPort))).With("TO_PORT", strconv.Itoa(int(dg.DstPort)))
		}
	}
	msg := append([]byte(r.String()), dg.Payload...)
	select {
	case d.queue <- msg:
	default:
		d.srv.count(func(k *Counters) { k.DatagramsDropped++ })
	}
}

// writeLoop writes received datagrams to the control socket, so the
// router's delivery never waits on a client.
func (d *dest) writeLoop() {
	defer d.wg.Done()
	for {
		select {
		case msg := <-d.queue:
			if d.owner.write(msg) != nil {
				return
			}
		case <-d.ctx.Done():
			return
		}
	}
}

// resolve turns a destination as a client names it (full Base64, b32,
// b33 or a host name) into its hash, and says which RESULT a failure
// gets. A session that resolves names itself (a b33 address is sent to
// through the destination that looked it up) is asked first.
func (s *Server) resolve(ctx context.Context, name string, rs Session) (data.Hash, string, error) {
	if name == "" {
		return data.Hash{}, "INVALID_KEY", errors.New("DESTINATION missing")
	}
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".b32.i2p") && len(lower) == 52+len(".b32.i2p") {
		h, err := data.ParseB32(lower)
		if err != nil {
			return data.Hash{}, "INVALID_KEY", fmt.Errorf("%s: %w", name, err)
		}
		return h, "", nil
	}
	if strings.HasSuffix(lower, ".i2p") {
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		if sr, ok := rs.(sessionResolver); ok {
			h, err := sr.Resolve(lctx, name)
			if err != nil {
				return data.Hash{}, "CANT_REACH_PEER", fmt.Errorf("%s not found: %w", name, err)
			}
			return h, "", nil
		}
		f, err := s.cfg.Router.Lookup(lctx, name, false)
		if err != nil {
			if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoLeaseSet) {
				return data.Hash{}, "CANT_REACH_PEER", fmt.Errorf("%s not found: %w", name, err)
			}
			return data.Hash{}, "I2P_ERROR", fmt.Errorf("%s: %w", name, err)
		}
		return f.Destination.Hash(), "", nil
	}
	dst, err := parseDestination(name)
	if err != nil {
		return data.Hash{}, "INVALID_KEY", fmt.Errorf("destination is neither Base64 nor a .i2p name: %w", err)
	}
	return dst.Hash(), "", nil
}

// sendOptions are the per-datagram options of a UDP header or a SEND.
type sendOptions struct {
	from, to uint16
	proto    uint8
}

// parseSendOptions reads FROM_PORT, TO_PORT and PROTOCOL over the sub's
// defaults; SEND_TAGS, TAG_THRESHOLD, EXPIRES and SEND_LEASESET (3.3)
// are accepted and left to the router's defaults.
func (s *sub) parseSendOptions(pairs []Pair) (sendOptions, error) {
	o := sendOptions{from: s.from, to: s.to, proto: s.proto}
	for _, p := range pairs {
		switch strings.ToUpper(p.Key) {
		case "FROM_PORT", "TO_PORT":
			n, err := strconv.ParseUint(p.Value, 10, 16)
			if err != nil {
				return o, fmt.Errorf("%s=%s is not a port", p.Key, p.Value)
			}
			if strings.EqualFold(p.Key, "FROM_PORT") {
				o.from = uint16(n)
			} else {
				o.to = uint16(n)
			}
		case "PROTOCOL":
			n, err := strconv.ParseUint(p.Value, 10, 8)
			if err != nil || s.style != styleRaw {
				return o, fmt.Errorf("PROTOCOL=%s: only RAW sessions set a protocol (0-255)", p.Value)
			}
			switch n {
			case protoStreaming, protoDatagram, protoDatagram2, protoDatagram3:
				return o, fmt.Errorf("PROTOCOL=%d is reserved: use 18 or another", n)
			}
			o.proto = uint8(n)
		}
	}
	return o, nil
}

// outProto is the protocol a sub sends.
func (s *sub) outProto(o sendOptions) uint8 {
	switch s.style {
	case styleDatagram:
		return protoDatagram
	case styleDatagram2:
		return protoDatagram2
	case styleDatagram3:
		return protoDatagram3
	}
	return o.proto
}

// sendAsync resolves to and sends payload in the background; false when
// too many are in flight (the datagram is dropped, as UDP would).
func (s *sub) sendAsync(to string, o sendOptions, payload []byte) bool {
	srv := s.d.srv
	if !srv.trySending() {
		srv.count(func(k *Counters) { k.DatagramsDropped++ })
		return false
	}
	rs, ctx := s.d.session()
	srv.goSend(func(sctx context.Context) {
		if rs == nil {
			return
		}
		sctx, cancel := context.WithCancel(sctx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel) // the session ended
		defer stop()
		h, _, err := srv.resolve(sctx, to, rs)
		if err == nil {
			err = rs.Send(sctx, h, Datagram{Proto: s.outProto(o), SrcPort: o.from, DstPort: o.to, Payload: payload})
		}
		if err != nil {
			srv.log.Debug("sam: datagram not sent", "session", s.id, "err", err)
			srv.count(func(k *Counters) { k.DatagramsDropped++ })
			return
		}
		srv.count(func(k *Counters) { k.DatagramsSent++ })
	})
	return true
}

// session returns the router session and the dest's context.
func (d *dest) session() (Session, context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, nil
	}
	return d.rs, d.ctx
}

// udpLoop reads datagrams to send from the UDP port.
func (s *Server) udpLoop(ctx context.Context) {
	defer s.wg.Done()
	buf := make([]byte, maxUDP+1)
	for {
		n, _, err := s.udp.ReadFromUDP(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if err := s.handleUDP(buf[:n]); err != nil {
			s.count(func(k *Counters) { k.BadUDP++ })
			s.log.Debug("sam: UDP datagram dropped", "err", err)
		}
	}
}

// handleUDP sends one packet of the UDP port.
func (s *Server) handleUDP(pkt []byte) error {
	line, payload, ok := bytes.Cut(pkt, []byte{'\n'})
	if !ok {
		return errors.New("no header line")
	}
	if len(line) > MaxLine {
		return errors.New("header line too long")
	}
	toks, err := tokenize(strings.TrimRight(string(line), "\r"))
	if err != nil {
		return err
	}
	if len(toks) < 3 || !strings.HasPrefix(toks[0].text, "3.") {
		return fmt.Errorf("header %q is not \"3.x $nickname $destination\"", truncate(string(line), 80))
	}
	sb := s.lookupSub(toks[1].text)
	if sb == nil || sb.style == styleStream || sb.style == stylePrimary {
		return fmt.Errorf("no datagram session %q", toks[1].text)
	}
	var pairs []Pair
	for _, t := range toks[3:] {
		k, v, _ := strings.Cut(t.text, "=")
		pairs = append(pairs, Pair{k, v})
	}
	o, err := sb.parseSendOptions(pairs)
	if err != nil {
		return err
	}
	if len(payload) == 0 || len(payload) > maxSize(sb.style) {
		return fmt.Errorf("payload of %d bytes (1 to %d)", len(payload), maxSize(sb.style))
	}
	sb.sendAsync(toks[2].text, o, bytes.Clone(payload))
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// datagramSend answers DATAGRAM SEND and RAW SEND on a socket: SIZE
// bytes follow the line. The session is ID's, or this connection's.
// Success is silent, as in SAM v1/v2, except for clients that send the
// payload in Base64 on a line of its own (go-sam-go), which wait for a
// STATUS line.
func (c *conn) datagramSend(cmd Command) error {
	verb := cmd.Verb
	size, err := strconv.Atoi(cmd.Value("SIZE"))
	if err != nil || size < 1 || size > maxRaw {
		// The payload cannot be skipped without its size: close.
		c.fail(verb, "STATUS", "I2P_ERROR", fmt.Sprintf("SIZE=%s: give the payload's size, 1 to %d: closing", cmd.Value("SIZE"), maxRaw))
		return errQuit
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(c.r, payload); err != nil {
		return err
	}
	payload, b64 := c.maybeBase64(payload)
	var sb *sub
	if id := cmd.Value("ID"); id != "" {
		sb = c.srv.lookupSub(id)
	} else if c.dest != nil {
		c.dest.mu.Lock()
		for _, o := range c.dest.subs {
			if (verb == "RAW") == (o.style == styleRaw) && o.style != styleStream {
				sb = o
			}
		}
		c.dest.mu.Unlock()
	}
	want := styleDatagram
	if verb == "RAW" {
		want = styleRaw
	}
	if sb == nil || sb.style != want && !(want == styleDatagram && (sb.style == styleDatagram2 || sb.style == styleDatagram3)) {
		return c.fail(verb, "STATUS", "INVALID_ID", fmt.Sprintf("no %s session %q: SESSION CREATE STYLE=%s first", want, cmd.Value("ID"), want))
	}
	o, err := sb.parseSendOptions(cmd.Pairs)
	if err != nil {
		return c.fail(verb, "STATUS", "I2P_ERROR", err.Error())
	}
	if len(payload) > maxSize(sb.style) {
		return c.fail(verb, "STATUS", "I2P_ERROR", fmt.Sprintf("payload of %d bytes, at most %d", len(payload), maxSize(sb.style)))
	}
	to := cmd.Value("DESTINATION")
	if _, result, err := c.srv.resolveQuick(to); err != nil {
		return c.fail(verb, "STATUS", result, err.Error())
	}
	if !sb.sendAsync(to, o, payload) {
		return c.fail(verb, "STATUS", "I2P_ERROR", "too many datagrams in flight: slow down")
	}
	if b64 {
		return c.send(reply(verb, "STATUS", "RESULT", "OK"))
	}
	return nil
}

// resolveQuick checks a destination's form without a network lookup.
func (s *Server) resolveQuick(name string) (data.Hash, string, error) {
	if strings.HasSuffix(strings.ToLower(name), ".i2p") {
		return data.Hash{}, "", nil
	}
	return s.resolve(context.Background(), name, nil)
}

// maybeBase64 recognizes go-sam-go's RAW SEND, which sends the Base64
// of the payload on a line of its own with SIZE the decoded length:
// when the SIZE bytes read are Base64 characters and the rest of the
// encoded line is already buffered and decodes to SIZE bytes, that is
// the payload. Anything else is taken as the raw bytes the spec says.
func (c *conn) maybeBase64(p []byte) ([]byte, bool) {
	n := len(p)
	enc := data.Base64.EncodedLen(n)
	if enc <= n || !isBase64(p) {
		return p, false
	}
	need := enc - n + 1 // the rest of the encoding and its "\n"
	c.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	rest, err := c.r.Peek(need)
	c.nc.SetReadDeadline(time.Time{})
	if err != nil || rest[need-1] != '\n' {
		return p, false
	}
	line := append(bytes.Clone(p), rest[:need-1]...)
	dec, err := data.DecodeBase64(string(line))
	if err != nil || len(dec) != n {
		return p, false
	}
	c.r.Discard(need)
	return dec, true
}

func isBase64(b []byte) bool {
	for _, ch := range b {
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '~' || ch == '=') {
			return false
		}
	}
	return true
}
