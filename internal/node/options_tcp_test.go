package node

import (
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// TestDestinationsTCPTunnels: client and server sections become TCP
// tunnels with i2pd's keys, and i2p.streaming.* options reach the
// destination's streaming library.
func TestDestinationsTCPTunnels(t *testing.T) {
	conf := "[web-out]\ntype = client\ndestination = " + strings.Repeat("a", 52) + ".b32.i2p\nport = 8080\ndestinationport = 80\n" +
		"[web]\ntype = http\nhost = 127.0.0.1\nport = 80\ninport = 80\nkeys = web.dat\n" +
		"i2p.streaming.maxConnsPerMinute = 5\ni2p.streaming.answerPings = false\ni2p.streaming.initialAckDelay = 200\n"
	ds, err := destinationsOf(conf)
	if err != nil {
		t.Fatal(err)
	}
	c, s := ds[0], ds[1]
	if c.TCPClient == nil || c.TCPClient.Port != 8080 || c.TCPClient.DestinationPort != 80 || c.TCPServer != nil ||
		c.Streaming == nil || !c.Streaming.AnswerPings {
		t.Fatalf("client %+v", c)
	}
	if s.TCPServer == nil || s.TCPServer.Type != i2ptunnel.TypeHTTP || s.TCPServer.InPort != 80 || s.Streaming == nil ||
		s.Streaming.MaxConnsPerMinute != 5 || s.Streaming.AnswerPings || s.Streaming.AckDelay != 200*time.Millisecond {
		t.Fatalf("server %+v %+v", s, s.Streaming)
	}
	if _, err := destinationsOf(conf + "i2p.streaming.maxWindowSize = 9999\n"); err == nil || !strings.Contains(err.Error(), "[web]") {
		t.Errorf("bad streaming option: %v", err)
	}
}

// destinationsOf is destinations of the tunnels.conf text conf.
func destinationsOf(conf string) ([]router.DestinationConfig, error) {
	tunnels, err := config.ParseTunnels("t.conf", []byte(conf))
	if err != nil {
		return nil, err
	}
	return destinations(tunnels)
}
