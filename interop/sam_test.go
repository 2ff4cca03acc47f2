//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// SAM across routers: a client of veil's SAM bridge and a client of
// i2pd 2.45.1's exchange a stream and repliable and raw datagrams, both
// ways, payloads checked byte for byte. Worked around on the i2pd side
// (i2pd's bugs, not copied): destinations are given as full Base64, never
// looked up by b32 (i2pd 2.45.1 died after a DATAGRAM session and a
// NAMING LOOKUP of a b32 name), and a session whose LeaseSet no floodfill
// holds after a while is created again (i2pd sometimes never publishes).
// i2pd's address book is on (with feeds nobody serves): i2pd 2.45.1's
// STREAM CONNECT and ACCEPT store the peer in it and the process died
// with it off. Streams into i2pd come through STREAM FORWARD, i2pd's
// other way in.

const (
	samWait        = 90 * time.Second // a LeaseSet published, a stream open, a datagram through
	samStreamBytes = 256 << 10
	samBenchBytes  = 4 << 20
	samFwdVeil     = 33001 // where veil's bridge forwards the veil clients' datagrams
	samFwdI2pd     = 33002 // where i2pd's bridge forwards the i2pd clients' datagrams
	samFwdStream   = 33010 // where i2pd's bridge forwards streams (STREAM FORWARD)
	// i2pd's sessions: 0-hop outbound tunnels (see i2pdPoolShape).
	samI2pdShape = "inbound.length=2 outbound.length=0 inbound.quantity=2 outbound.quantity=2 i2cp.leaseSetEncType=4,0"
	samVeilShape = "inbound.length=2 outbound.length=2 inbound.quantity=2 outbound.quantity=2 i2cp.leaseSetEncType=4,0"
)

// samClient is a line-level SAM client in a namespace.
type samClient struct {
	c net.Conn
	r *bufio.Reader
}

func dialSAMIn(m *mixedNet, ns, hello string) (*samClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := m.Net.Dialer(ns)(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", samTCPPort))
	if err != nil {
		return nil, err
	}
	s := &samClient{c: c, r: bufio.NewReader(c)}
	if reply, err := s.ask(hello); err != nil || !strings.Contains(reply, "RESULT=OK") {
		c.Close()
		return nil, fmt.Errorf("%s: %q %v", hello, reply, err)
	}
	return s, nil
}

// ask sends a line and reads the reply line, within samWait.
func (s *samClient) ask(line string) (string, error) {
	s.c.SetDeadline(time.Now().Add(samWait))
	defer s.c.SetDeadline(time.Time{})
	if _, err := io.WriteString(s.c, line+"\n"); err != nil {
		return "", err
	}
	reply, err := s.r.ReadString('\n')
	return strings.TrimSpace(reply), err
}

// samSide is one router's SAM: its namespace and HELLO.
type samSide struct {
	name, ns, hello, shape string
}

// samSession is a session and the connection that keeps it.
type samSession struct {
	id      string
	keys    *keyfile.PrivateKeys
	ctl     *samClient
	created time.Duration // SESSION CREATE to its answer
}

func (s *samSession) pub() string { return data.EncodeBase64(s.keys.Identity.Bytes()) }

func openSAMSession(m *mixedNet, side samSide, id, style, extra string) (*samSession, error) {
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		return nil, err
	}
	ctl, err := dialSAMIn(m, side.ns, side.hello)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	reply, err := ctl.ask(fmt.Sprintf("SESSION CREATE STYLE=%s ID=%s DESTINATION=%s %s %s",
		style, id, data.EncodeBase64(keys.Bytes()), side.shape, extra))
	if err != nil || !strings.HasPrefix(reply, "SESSION STATUS RESULT=OK") {
		ctl.c.Close()
		return nil, fmt.Errorf("%s SESSION CREATE %s: %.100q %v", side.name, style, reply, err)
	}
	return &samSession{id: id, keys: keys, ctl: ctl, created: time.Since(t0)}, nil
}

// publishedSAMSession opens a session and waits until an i2pd floodfill
// holds its LeaseSet, creating it again (with new keys) when it does not
// come within a minute, three times at most.
func publishedSAMSession(t *testing.T, m *mixedNet, side samSide, id, style, extra string) *samSession {
	t0 := time.Now()
	for try := 1; ; try++ {
		s, err := openSAMSession(m, side, id, style, extra)
		if err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(2 * time.Second) {
			if onFloodfill(m, s.keys) {
				t.Logf("%s %s session %s: SESSION STATUS after %v, LeaseSet on a floodfill after %v (try %d)",
					side.name, style, id, s.created.Round(time.Millisecond), since(t0), try)
				t.Cleanup(func() { s.ctl.c.Close() })
				return s
			}
		}
		s.ctl.c.Close()
		if try == 3 {
			t.Fatalf("%s %s session %s: no LeaseSet on a floodfill after %v", side.name, style, id, since(t0))
		}
		t.Logf("%s %s session %s: no LeaseSet after a minute: creating it again", side.name, style, id)
		time.Sleep(time.Second) // let the bridge drop the session
	}
}

// TestSAMI2pd: see the top of the file. veil's router runs its bridge
// (default options, in its namespace on 127.0.0.1:7656/7655); i2pd router
// 2 runs i2pd's (sam.enabled).
func TestSAMI2pd(t *testing.T) {
	inParallel(t)
	t0 := time.Now()
	m := startMixed(t, mixedConfig{
		I2pdOptions: map[string]string{"sam.enabled": "true", "sam.address": "127.0.0.1", "sam.port": fmt.Sprint(samTCPPort),
			"addressbook.enabled": "true", "addressbook.subscriptions": "http://127.0.0.1:9/hosts.txt",
			"addressbook.defaulturl": "http://127.0.0.1:9/hosts.txt"},
		VeilArgs: []string{"--sam.enabled=true"},
	})
	t.Logf("network up after %v", since(t0))
	m.waitVeilTunnels(t, 2, 2, 2*time.Minute)
	veilSide := samSide{"veil", m.VeilNS, "HELLO VERSION MIN=3.1 MAX=3.3", samVeilShape}
	i2pdSide := samSide{"i2pd", m.I2pdNS[2], "HELLO VERSION MIN=3.0 MAX=3.1", samI2pdShape}
	listen := func(ns string, port int) net.PacketConn {
		pc, err := m.Net.ListenPacket(ns, "udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		return pc
	}
	fwdV, fwdI := listen(veilSide.ns, samFwdVeil), listen(i2pdSide.ns, samFwdI2pd)
	rawFwdV, rawFwdI := listen(veilSide.ns, samFwdVeil+1), listen(i2pdSide.ns, samFwdI2pd+1)

	// Six sessions, opened at once: stream, datagram and raw on each side.
	var (
		wg                          sync.WaitGroup
		vs, vd, vr, is, id, ir, is3 *samSession
		open                        = func(dst **samSession, side samSide, name, style, extra string) {
			wg.Go(func() { *dst = publishedSAMSession(t, m, side, name, style, extra) })
		}
	)
	open(&vs, veilSide, "veil-stream", "STREAM", "")
	open(&vd, veilSide, "veil-dg", "DATAGRAM", fmt.Sprintf("HOST=127.0.0.1 PORT=%d", samFwdVeil))
	open(&vr, veilSide, "veil-raw", "RAW", fmt.Sprintf("HOST=127.0.0.1 PORT=%d", samFwdVeil+1))
	open(&is, i2pdSide, "i2pd-stream", "STREAM", "")
	open(&id, i2pdSide, "i2pd-dg", "DATAGRAM", fmt.Sprintf("HOST=127.0.0.1 PORT=%d", samFwdI2pd))
	open(&ir, i2pdSide, "i2pd-raw", "RAW", fmt.Sprintf("HOST=127.0.0.1 PORT=%d", samFwdI2pd+1))
	// The benchmark's i2pd sender, on another i2pd router.
	i2pd3 := samSide{"i2pd3", m.I2pdNS[3], "HELLO VERSION MIN=3.0 MAX=3.1", samI2pdShape}
	open(&is3, i2pd3, "i2pd3-stream", "STREAM", "")
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("sessions published after %v", since(t0))

	alive := func(t *testing.T) {
		if !m.I2pd[2].Running() {
			t.Fatalf("i2pd router 2 died:\n%s", grepLines(m.I2pd[2].Log(), 15, "SAM", "Streaming"))
		}
	}
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			alive(t)
			f(t)
			alive(t)
		})
	}
	udpIn := func(side samSide) net.PacketConn { return listen(side.ns, 0) }
	run("stream i2pd to veil", func(t *testing.T) { samStream(t, m, i2pdSide, is, veilSide, vs, false, samStreamBytes) })
	run("repliable veil to i2pd", func(t *testing.T) { samDatagram(t, udpIn(veilSide), vd, id, fwdI, true) })
	run("repliable i2pd to veil", func(t *testing.T) { samDatagram(t, udpIn(i2pdSide), id, vd, fwdV, true) })
	run("raw veil to i2pd", func(t *testing.T) { samDatagram(t, udpIn(veilSide), vr, ir, rawFwdI, false) })
	run("raw i2pd to veil", func(t *testing.T) { samDatagram(t, udpIn(i2pdSide), ir, vr, rawFwdV, false) })
	run("stream veil to i2pd", func(t *testing.T) { samStream(t, m, veilSide, vs, i2pdSide, is, true, samStreamBytes) })

	// Side by side: SESSION CREATE to its answer, and a SAM stream of
	// samBenchBytes each way into the same i2pd session, opened by
	// veil's bridge and by another i2pd router's.
	var cv, ci []time.Duration
	for _, s := range []*samSession{vs, vd, vr} {
		cv = append(cv, s.created)
	}
	for _, s := range []*samSession{is, id, ir, is3} {
		ci = append(ci, s.created)
	}
	var dv, di time.Duration
	run("bench veil sends", func(t *testing.T) { dv = samStream(t, m, veilSide, vs, i2pdSide, is, true, samBenchBytes) })
	run("bench i2pd sends", func(t *testing.T) { di = samStream(t, m, i2pd3, is3, i2pdSide, is, true, samBenchBytes) })
	mbps := func(d time.Duration) float64 { return 2 * float64(samBenchBytes) / d.Seconds() / 1e6 }
	if dv > 0 && di > 0 {
		t.Logf("SAM bench: SESSION CREATE answered in %v (veil, 3 sessions) vs %v (i2pd, 4 sessions), median; "+
			"stream %d MiB each way into an i2pd SAM session: veil %.2f MB/s, i2pd %.2f MB/s (time ratio veil/i2pd %.2f)",
			median(cv).Round(time.Millisecond), median(ci).Round(time.Millisecond), samBenchBytes>>20, mbps(dv), mbps(di), dv.Seconds()/di.Seconds())
	}
	t.Logf("total %v", since(t0))
}

// samStream opens a stream from session from (on side fs) to session to
// (on side ts) with STREAM CONNECT and STREAM ACCEPT (or, forward, STREAM
// FORWARD to a server beside the bridge), the CONNECT retried while the
// LeaseSet is not found, checks the peer line and moves size bytes each
// way; it returns how long that took.
func samStream(t *testing.T, m *mixedNet, fs samSide, from *samSession, ts samSide, to *samSession, forward bool, size int) time.Duration {
	t0 := time.Now()
	ctl, err := dialSAMIn(m, ts.ns, ts.hello)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.c.Close()
	acc := ctl
	var ln net.Listener
	if forward {
		if ln, err = m.Net.Listen(ts.ns, fmt.Sprintf("127.0.0.1:%d", samFwdStream)); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if reply, err := ctl.ask(fmt.Sprintf("STREAM FORWARD ID=%s PORT=%d HOST=127.0.0.1 SILENT=false", to.id, samFwdStream)); err != nil || reply != "STREAM STATUS RESULT=OK" {
			t.Fatalf("%s FORWARD: %q %v", ts.name, reply, err)
		}
	} else if reply, err := ctl.ask("STREAM ACCEPT ID=" + to.id + " SILENT=false"); err != nil || reply != "STREAM STATUS RESULT=OK" {
		t.Fatalf("%s ACCEPT: %q %v", ts.name, reply, err)
	}
	var con *samClient
	for try := 1; ; try++ {
		if con, err = dialSAMIn(m, fs.ns, fs.hello); err != nil {
			t.Fatal(err)
		}
		reply, err := con.ask("STREAM CONNECT ID=" + from.id + " DESTINATION=" + to.pub() + " SILENT=false")
		if err == nil && reply == "STREAM STATUS RESULT=OK" {
			break
		}
		con.c.Close()
		if time.Since(t0) > samWait {
			t.Fatalf("%s CONNECT: %q %v (%d tries)", fs.name, reply, err, try)
		}
		t.Logf("%s CONNECT try %d: %q %v", fs.name, try, reply, err)
		time.Sleep(3 * time.Second)
	}
	defer con.c.Close()
	if forward {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		acc = &samClient{c: c, r: bufio.NewReader(c)}
	}
	acc.c.SetReadDeadline(time.Now().Add(samWait))
	line, err := acc.r.ReadString('\n')
	if err != nil || strings.Fields(line)[0] != from.pub() {
		t.Fatalf("%s peer line %.80q: %v", ts.name, line, err)
	}
	t.Logf("stream open after %v; peer line %q…", since(t0), line[:20])
	a := bytes.Repeat([]byte("veil<->i2pd \x00\x01\x02\xff"), size/16)
	b := bytes.Repeat([]byte("i2pd<->veil \xfe\xfd\x00\n"), size/16)
	t1 := time.Now()
	var wg sync.WaitGroup
	check := func(name string, r io.Reader, want []byte) {
		got := make([]byte, len(want))
		if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v (bytes equal: %v)", name, err, bytes.Equal(got, want))
		}
	}
	con.c.SetDeadline(time.Now().Add(samWait))
	acc.c.SetDeadline(time.Now().Add(samWait))
	wg.Go(func() { con.c.Write(a) })
	wg.Go(func() { acc.c.Write(b) })
	wg.Go(func() { check(ts.name+" reads", acc.r, a) })
	wg.Go(func() { check(fs.name+" reads", con.r, b) })
	wg.Wait()
	d := time.Since(t1)
	t.Logf("%d bytes each way in %v", len(a), d.Round(time.Millisecond))
	return d
}

// samDatagram sends a datagram of session from through its bridge's UDP
// port (pc, beside the bridge) to session to, every 2 s until one comes
// out at to's forwarding socket fwd, and checks it: the payload byte for
// byte and, repliable, the sender's destination on the first line.
func samDatagram(t *testing.T, pc net.PacketConn, from, to *samSession, fwd net.PacketConn, repliable bool) {
	t0 := time.Now()
	payload := make([]byte, 1500)
	rand.Read(payload)
	head := []byte("3.0 " + from.id + " " + to.pub() + "\n")
	bridge := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: samUDPPort}
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 65536)
		fwd.SetReadDeadline(time.Now().Add(samWait))
		n, _, err := fwd.ReadFrom(buf)
		if err != nil {
			close(got)
			return
		}
		got <- buf[:n]
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for sent := 1; ; sent++ {
		if _, err := pc.WriteTo(append(bytes.Clone(head), payload...), bridge); err != nil {
			t.Fatal(err)
		}
		select {
		case p, ok := <-got:
			if !ok {
				t.Fatalf("nothing received in %v (%d sent)", samWait, sent)
			}
			if repliable {
				line, rest, _ := bytes.Cut(p, []byte{'\n'})
				if f := strings.Fields(string(line)); len(f) == 0 || f[0] != from.pub() {
					t.Fatalf("sender line %.80q", line)
				}
				p = rest
			}
			if !bytes.Equal(p, payload) {
				t.Fatalf("payload of %d bytes differs", len(p))
			}
			t.Logf("through after %v (%d sent)", since(t0), sent)
			return
		case <-tick.C:
		}
	}
}
