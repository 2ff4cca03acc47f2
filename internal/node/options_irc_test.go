package node

import (
	"strings"
	"testing"
)

// TestIRCClientOptions: an irc section with a destination and no host
// is a filtered client tunnel (enabledcc passes DCC); with a host it is
// still i2pd's irc server tunnel.
func TestIRCClientOptions(t *testing.T) {
	ds, err := destinationsOf("[irc]\ntype = irc\nport = 6668\ndestination = irc.i2p\ndestinationport = 6667\nenabledcc = true\n")
	if err != nil || len(ds) != 1 || ds[0].TCPClient == nil || !ds[0].TCPClient.IRC || !ds[0].TCPClient.AllowDCC ||
		ds[0].TCPClient.Destination != "irc.i2p" || ds[0].KeysFile != "" {
		t.Fatalf("irc client: %+v %v", ds, err)
	}
	ds, err = destinationsOf("[ircd]\ntype = irc\nhost = 127.0.0.1\nport = 6667\nkeys = ircd.dat\n")
	if err != nil || len(ds) != 1 || ds[0].TCPServer == nil || ds[0].TCPClient != nil {
		t.Fatalf("irc server: %+v %v", ds, err)
	}
	if _, err := destinationsOf("[irc]\ntype = irc\ndestination = irc.i2p\n"); err == nil || !strings.Contains(err.Error(), "port") {
		t.Errorf("irc client without port: %v", err)
	}
}
