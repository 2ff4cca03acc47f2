package i2ptunnel

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/data"
)

// FuzzRewriteRequest: any bytes a client sends as an HTTP request
// header are rewritten or refused without panic; a rewritten header
// ends the header once, carries no client X-I2P line and stays bounded.
func FuzzRewriteRequest(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nX-I2P-DestB32: x\r\nConnection: keep-alive\r\n\r\nbody"))
	f.Add([]byte("GET / HTTP/1.0\n\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"))
	f.Add([]byte(strings.Repeat("A", 5000) + "\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, host := range []string{"", "h.i2p"} {
			out, err := rewriteRequest(bufio.NewReader(bytes.NewReader(in)), data.KeysAndCert{}, false, host)
			if err != nil {
				continue
			}
			if len(out) > maxHTTPHeader+200 || !bytes.HasSuffix(out, []byte("\r\n\r\n")) || bytes.Count(out, []byte("\r\n\r\n")) != 1 {
				t.Fatalf("rewritten %q", out)
			}
			for i, line := range strings.Split(string(out), "\r\n") {
				if i > 0 && hasPrefixFold(line, "X-I2P") {
					t.Fatalf("client header kept: %q", line)
				}
			}
		}
		filterResponse(in)
		rewriteUser(in, "a.b32.i2p")
	})
}
