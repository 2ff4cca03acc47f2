package bob

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// FuzzCommands runs a command connection on fuzz input: every line
// answered with OK, ERROR or DATA lines, never a panic. Inputs with
// "start" are skipped: a tunnel would bind the ports they name.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{"setnick a\nnewkeys\ngetdest\nlist\n", "setnick a\ninport 5\noutport x\nquiet\nshow\nclear\n",
		"getnick none\nhelp\nquit\n", "option a=b\nsetkeys AAAA\nverify x\nlookup y.i2p\n", "\r\n\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if strings.Contains(strings.ToLower(in), "start") || strings.Contains(strings.ToLower(in), "newkeys") && len(in) > 200 {
			return
		}
		s := &Server{cfg: Config{Router: newFakeRouter()}, log: slog.New(slog.DiscardHandler),
			tunnels: map[string]*tunnel{}, conns: map[net.Conn]struct{}{}, ctx: context.Background()}
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			newCommands(s, a).run(context.Background())
			a.Close()
		}()
		go func() { io.WriteString(b, in); b.Close() }()
		out, _ := io.ReadAll(b)
		<-done
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" && !strings.HasPrefix(l, "OK") && !strings.HasPrefix(l, "ERROR") && !strings.HasPrefix(l, "DATA") && !strings.HasPrefix(l, "BOB ") {
				t.Fatalf("reply %q", l)
			}
		}
	})
}
