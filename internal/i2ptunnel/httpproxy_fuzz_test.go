package i2ptunnel

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzHTTPProxyRequest: any bytes a browser sends are read as a request
// or refused without panic; a request read, targeted and rewritten for an
// eepsite or the outproxy reads back as one request with the same
// method and the header the rewriting made (no line smuggled in), no
// client Proxy-* line, and stays bounded. The response filter and the
// address helper's query cutter take any bytes too.
func FuzzHTTPProxyRequest(f *testing.F) {
	b32 := strings.Repeat("a", 52) + ".b32.i2p"
	f.Add([]byte("GET http://" + b32 + "/a?b=1#c HTTP/1.1\r\nHost: x\r\nUser-Agent: u\r\nReferer: http://" + b32 + "/\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\n"))
	f.Add([]byte("CONNECT " + b32 + ":443 HTTP/1.1\r\nProxy-Authorization: Basic eA==\r\n\r\n"))
	f.Add([]byte("POST https://site.i2p:8443 HTTP/1.0\nContent-Length: 3\nAccept: */*\n\nabc"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"))
	f.Add([]byte("GET http://site.i2p/?i2paddresshelper=abc&i2paddresshelperaction=continue&i2paddresshelpernonce=00 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"))
	f.Add([]byte("\r\n\r\nGET http://example.com/ HTTP/1.1\r\nA: b\r\n c\r\n\r\n"))
	f.Add([]byte("GET http://x.i2p/ HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", 300) + "\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		filterProxyResponse(in)
		interimResponse(in)
		cutHelper(string(in))
		req, err := readProxyRequest(bufio.NewReader(bytes.NewReader(in)))
		if err != nil {
			return
		}
		tgt, err := req.targetOf()
		if err != nil {
			return
		}
		if tgt.i2p() {
			if tgt.connect {
				return // answered by the proxy: nothing is sent on
			}
			req.sanitize(tgt)
			req.forEepsite(tgt)
		} else {
			if !tgt.connect {
				req.sanitize(tgt)
			}
			req.forOutproxy(tgt, "Basic eA==")
		}
		out := req.bytes()
		if len(out) > maxProxyHeader+1024 {
			t.Fatalf("rewritten header of %d bytes", len(out))
		}
		again, err := readProxyRequest(bufio.NewReader(bytes.NewReader(out)))
		if err != nil {
			t.Fatalf("rewritten %q does not read back: %v", out, err)
		}
		if again.method != req.method || again.target != req.target || len(again.header) != len(req.header) {
			t.Fatalf("rewritten %q reads back as %+v", out, again)
		}
		for _, h := range again.header {
			if hasPrefixFold(h.name, "Proxy-") && h.value != "Basic eA==" {
				t.Fatalf("client proxy header kept: %q", h.name)
			}
		}
	})
}
