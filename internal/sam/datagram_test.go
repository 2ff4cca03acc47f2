package sam

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// udpSink is a client's datagram socket.
type udpSink struct {
	t  *testing.T
	pc *net.UDPConn
}

func newSink(t *testing.T) *udpSink {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &udpSink{t: t, pc: pc}
}

func (u *udpSink) port() string { return strconv.Itoa(u.pc.LocalAddr().(*net.UDPAddr).Port) }

func (u *udpSink) read() []byte {
	u.t.Helper()
	buf := make([]byte, 70000)
	u.pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := u.pc.ReadFromUDP(buf)
	if err != nil {
		u.t.Fatal(err)
	}
	return buf[:n]
}

// sendUDP sends one packet to the bridge's UDP port.
func sendUDP(t *testing.T, s *Server, pkt []byte) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, s.UDPAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(pkt); err != nil {
		t.Fatal(err)
	}
}

func TestDatagramStyles(t *testing.T) {
	for _, style := range []string{"DATAGRAM", "DATAGRAM2", "DATAGRAM3"} {
		t.Run(style, func(t *testing.T) {
			s := startServer(t, newFakeNet())
			sink := newSink(t)
			_, ka := session(t, s, "a", style, "PORT="+sink.port()+" HOST=127.0.0.1")
			cb, kb := session(t, s, "b", style, "") // receives on its control socket
			payload := bytes.Repeat([]byte{0, 1, 2, '\n', 0xff}, 1000)

			// b sends to a through the UDP port, with ports.
			sendUDP(t, s, append([]byte("3.3 b "+pubString(ka.Identity)+" FROM_PORT=7 TO_PORT=8\n"), payload...))
			pkt := sink.read()
			line, got, _ := bytes.Cut(pkt, []byte{'\n'})
			from := pubString(kb.Identity)
			if style == "DATAGRAM3" {
				h := kb.Identity.Hash()
				from = data.EncodeBase64(h[:])
			}
			if string(line) != from+" FROM_PORT=7 TO_PORT=8" || !bytes.Equal(got, payload) {
				t.Fatalf("forwarded: %q (%d bytes)", line, len(got))
			}

			// a sends to b by b32 address; b reads DATAGRAM RECEIVED.
			sendUDP(t, s, append([]byte("3.0 a "+kb.Identity.Hash().B32()+"\n"), payload[:100]...))
			head := cb.line()
			want := "DATAGRAM RECEIVED DESTINATION=" + pubString(ka.Identity) + " SIZE=100 FROM_PORT=0 TO_PORT=0"
			if style == "DATAGRAM3" {
				h := ka.Identity.Hash()
				want = "DATAGRAM RECEIVED DESTINATION=" + data.EncodeBase64(h[:]) + " SIZE=100 FROM_PORT=0 TO_PORT=0"
			}
			if head != want {
				t.Fatalf("received: %q", head)
			}
			buf := make([]byte, 100)
			if _, err := readFull(cb, buf); err != nil || !bytes.Equal(buf, payload[:100]) {
				t.Fatalf("payload: %v", err)
			}
			if style == "DATAGRAM" {
				// DATAGRAM SEND on the control socket (v1/v2 way): silent.
				cb.write("DATAGRAM SEND DESTINATION=" + pubString(ka.Identity) + " SIZE=5 TO_PORT=9\nhello")
				pkt := sink.read()
				if !bytes.HasSuffix(pkt, []byte(" FROM_PORT=0 TO_PORT=9\nhello")) {
					t.Fatalf("DATAGRAM SEND: %q", pkt)
				}
				if got := cb.cmd("PING x"); got != "PONG x" {
					t.Fatalf("after DATAGRAM SEND: %q", got)
				}
			}
		})
	}
}

func readFull(c *testClient, b []byte) (int, error) {
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n := 0
	for n < len(b) {
		m, err := c.r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestRaw(t *testing.T) {
	s := startServer(t, newFakeNet())
	sink, hsink := newSink(t), newSink(t)
	_, ka := session(t, s, "plain", "RAW", "PORT="+sink.port())
	_, kh := session(t, s, "hdr", "RAW", "PORT="+hsink.port()+" HEADER=true PROTOCOL=200 LISTEN_PROTOCOL=200")
	cc, kc := session(t, s, "ctl", "RAW", "FROM_PORT=3")

	// RAW SEND on the control socket, standard form: SIZE raw bytes.
	cc.write("RAW SEND DESTINATION=" + pubString(ka.Identity) + " SIZE=4\n\x00\n\x01x")
	if got := sink.read(); string(got) != "\x00\n\x01x" {
		t.Fatalf("raw: %q", got)
	}
	// go-sam-go's form: the Base64 of SIZE bytes on a line, and a STATUS.
	payload := []byte("binary\x00data\nhere")
	enc := data.EncodeBase64(payload)
	if got := cc.cmd("RAW SEND ID=ctl DESTINATION=" + pubString(ka.Identity) + " SIZE=" + strconv.Itoa(len(payload)) + "\n" + enc); got != "RAW STATUS RESULT=OK" {
		t.Fatalf("base64 RAW SEND: %q", got)
	}
	if got := sink.read(); !bytes.Equal(got, payload) {
		t.Fatalf("base64 raw: %q", got)
	}
	// HEADER=true and a protocol of its own.
	sendUDP(t, s, []byte("3.2 ctl "+pubString(kh.Identity)+" PROTOCOL=200 TO_PORT=44\nwith header"))
	if got := hsink.read(); string(got) != "FROM_PORT=3 TO_PORT=44 PROTOCOL=200\nwith header" {
		t.Fatalf("header: %q", got)
	}
	// Received on the control socket.
	sendUDP(t, s, []byte("3.3 plain "+kc.Identity.Hash().B32()+" FROM_PORT=5\nto ctl"))
	if got := cc.line(); got != "RAW RECEIVED SIZE=6 FROM_PORT=5 TO_PORT=0 PROTOCOL=18" {
		t.Fatalf("raw received: %q", got)
	}
	buf := make([]byte, 6)
	if _, err := readFull(cc, buf); err != nil || string(buf) != "to ctl" {
		t.Fatalf("raw received: %q %v", buf, err)
	}
	// Errors.
	for _, tc := range []struct{ in, want string }{
		{"RAW SEND ID=nope DESTINATION=" + pubString(ka.Identity) + " SIZE=1\nx", "RAW STATUS RESULT=INVALID_ID"},
		{"RAW SEND ID=ctl DESTINATION=junk SIZE=1\nx", "RAW STATUS RESULT=INVALID_KEY"},
		{"RAW SEND ID=ctl DESTINATION=" + pubString(ka.Identity) + " SIZE=1 PROTOCOL=6\nx", "RAW STATUS RESULT=I2P_ERROR"},
		{"DATAGRAM SEND ID=ctl DESTINATION=" + pubString(ka.Identity) + " SIZE=1\nx", "DATAGRAM STATUS RESULT=INVALID_ID"},
	} {
		if got := cc.cmd(tc.in); !strings.HasPrefix(got, tc.want+" MESSAGE=") {
			t.Errorf("%.30q: %q", tc.in, got)
		}
	}
	if got := cc.cmd("RAW SEND DESTINATION=x SIZE=100000"); !strings.HasPrefix(got, "RAW STATUS RESULT=I2P_ERROR") {
		t.Errorf("huge SIZE: %q", got)
	}
	cc.expectClosed()
	// Bad UDP packets are counted, not fatal.
	before := s.Counters().BadUDP
	for _, p := range []string{"no newline", "2.0 plain x\ny", "3.0 nobody x\ny", "3.0 plain\ny", "3.0 plain " + pubString(ka.Identity) + " PROTOCOL=17\ny", "3.0 plain " + pubString(ka.Identity) + "\n"} {
		sendUDP(t, s, []byte(p))
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Counters().BadUDP < before+6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.Counters().BadUDP - before; got != 6 {
		t.Errorf("bad UDP counted %d", got)
	}
}

func TestPrimary(t *testing.T) {
	s := startServer(t, newFakeNet())
	sinkD, sinkR, sinkD2 := newSink(t), newSink(t), newSink(t)
	pc, kp := session(t, s, "prim", "PRIMARY", "inbound.length=1")
	for _, tc := range []struct{ args, want string }{
		{"STYLE=STREAM ID=p-stream FROM_PORT=80", "SESSION STATUS RESULT=OK ID=p-stream MESSAGE=\"ADD p-stream\""},
		{"STYLE=STREAM ID=p-stream0", "SESSION STATUS RESULT=OK ID=p-stream0 MESSAGE=\"ADD p-stream0\""},
		{"STYLE=DATAGRAM ID=p-dg PORT=" + sinkD.port() + " LISTEN_PORT=1000", "SESSION STATUS RESULT=OK ID=p-dg MESSAGE=\"ADD p-dg\""},
		{"STYLE=DATAGRAM2 ID=p-dg2 PORT=" + sinkD2.port(), "SESSION STATUS RESULT=OK ID=p-dg2 MESSAGE=\"ADD p-dg2\""},
		{"STYLE=RAW ID=p-raw PORT=" + sinkR.port() + " HEADER=true", "SESSION STATUS RESULT=OK ID=p-raw MESSAGE=\"ADD p-raw\""},
		{"STYLE=DATAGRAM3 ID=p-dg3", "SESSION STATUS RESULT=OK ID=p-dg3 MESSAGE=\"ADD p-dg3\""},
	} {
		if got := pc.cmd("SESSION ADD " + tc.args); got != tc.want {
			t.Fatalf("%s: %q", tc.args, got)
		}
	}
	for _, tc := range []struct{ args, result string }{
		{"STYLE=STREAM ID=p-stream", "DUPLICATED_ID"},
		{"STYLE=DATAGRAM ID=p-dg-again LISTEN_PORT=1000", "I2P_ERROR"},
		{"STYLE=STREAM ID=x DESTINATION=TRANSIENT", "I2P_ERROR"},
		{"STYLE=PRIMARY ID=y", "I2P_ERROR"},
		{"STYLE=STREAM ID=z FROM_PORT=5 LISTEN_PORT=6", "I2P_ERROR"},
	} {
		if got := pc.cmd("SESSION ADD " + tc.args); field(t, got, "RESULT") != tc.result {
			t.Errorf("%s: %q", tc.args, got)
		}
	}
	_, kx := session(t, s, "peer", "STREAM", "")
	_, kd := session(t, s, "peer-dg", "DATAGRAM", "")
	_, kr := session(t, s, "peer-raw", "RAW", "")

	// Streams to port 80 reach p-stream, others p-stream0.
	for _, tc := range []struct{ id, port string }{{"p-stream", "80"}, {"p-stream0", "0"}, {"p-stream0", "443"}} {
		acc := hello(t, s)
		if got := acc.cmd("STREAM ACCEPT ID=" + tc.id); got != "STREAM STATUS RESULT=OK" {
			t.Fatalf("accept %s: %q", tc.id, got)
		}
		con := hello(t, s)
		if got := con.cmd("STREAM CONNECT ID=peer TO_PORT=" + tc.port + " DESTINATION=" + pubString(kp.Identity)); got != "STREAM STATUS RESULT=OK" {
			t.Fatalf("connect port %s: %q", tc.port, got)
		}
		if got := acc.line(); got != pubString(kx.Identity)+" FROM_PORT=0 TO_PORT="+tc.port {
			t.Fatalf("%s: %q", tc.id, got)
		}
		exchange(t, con, acc, 500)
	}
	// Datagrams by protocol and port.
	sendUDP(t, s, []byte("3.3 peer-dg "+pubString(kp.Identity)+" TO_PORT=1000\nrepliable"))
	if got := sinkD.read(); string(got) != pubString(kd.Identity)+" FROM_PORT=0 TO_PORT=1000\nrepliable" {
		t.Fatalf("datagram: %q", got)
	}
	sendUDP(t, s, []byte("3.3 peer-raw "+pubString(kp.Identity)+"\nraw"))
	if got := sinkR.read(); string(got) != "FROM_PORT=0 TO_PORT=0 PROTOCOL=18\nraw" {
		t.Fatalf("raw: %q", got)
	}
	// Subsessions send: the datagram subsession to peer-dg's control socket.
	sendUDP(t, s, []byte("3.3 p-dg "+pubString(kd.Identity)+"\nback"))
	// A repliable datagram to port 1234 has no subsession (p-dg listens on 1000): dropped.
	dropped := s.Counters().DatagramsDropped
	sendUDP(t, s, []byte("3.3 peer-dg "+pubString(kp.Identity)+" TO_PORT=1234\nlost"))
	deadline := time.Now().Add(5 * time.Second)
	for s.Counters().DatagramsDropped == dropped && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.Counters().DatagramsDropped == dropped {
		t.Error("datagram to an unrouted port not dropped")
	}
	// The PRIMARY ID itself carries nothing.
	if got := hello(t, s).cmd("STREAM ACCEPT ID=prim"); field(t, got, "RESULT") != "INVALID_ID" {
		t.Errorf("accept on primary: %q", got)
	}
	// REMOVE.
	if got := pc.cmd("SESSION REMOVE ID=p-raw"); got != "SESSION STATUS RESULT=OK ID=p-raw MESSAGE=\"REMOVE p-raw\"" {
		t.Fatalf("remove: %q", got)
	}
	if got := pc.cmd("SESSION REMOVE ID=p-raw"); field(t, got, "RESULT") != "INVALID_ID" {
		t.Errorf("remove twice: %q", got)
	}
	if got := pc.cmd("SESSION ADD STYLE=RAW ID=p-raw PORT=" + sinkR.port()); field(t, got, "RESULT") != "OK" {
		t.Errorf("re-add: %q", got)
	}
	_ = kr
	// Closing the primary's connection ends every subsession.
	pc.nc.Close()
	deadline = time.Now().Add(5 * time.Second)
	for s.lookupSub("p-stream") != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.lookupSub("p-stream") != nil || s.lookupSub("prim") != nil {
		t.Error("subsessions outlive their primary")
	}
}
