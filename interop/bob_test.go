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
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Ports of TestBOBI2pd inside the namespaces.
const (
	bobEchoPort   = 33021 // the echo service beside veil
	bobClientPort = 33020 // i2pd's client tunnel to the BOB tunnel
)

// TestBOBI2pd: veil's BOB bridge (bob.enabled) creates a server tunnel
// (outhost/outport to an echo service, quiet) with keys given by setkeys;
// an i2pd 2.45.1 client tunnel to its destination reaches the service,
// and what goes through comes back byte for byte.
func TestBOBI2pd(t *testing.T) {
	inParallel(t)
	t0 := time.Now()
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m := startMixed(t, mixedConfig{
		VeilArgs: []string{"--bob.enabled=true"},
		I2pdTunnels: func(i int) string {
			if i != 2 {
				return ""
			}
			return fmt.Sprintf("[toveil]\ntype = client\naddress = 127.0.0.1\nport = %d\ndestination = %s\n%s",
				bobClientPort, b32(keys), i2pdPoolShape)
		},
	})
	t.Logf("network up after %v", since(t0))
	echo, err := m.Net.Listen(m.VeilNS, fmt.Sprintf("127.0.0.1:%d", bobEchoPort))
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()

	// BOB's command channel, in veil's namespace.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var nc net.Conn
	for nc == nil {
		if nc, err = m.Net.Dialer(m.VeilNS)(ctx, "tcp", "127.0.0.1:2827"); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("no BOB bridge: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	line := func() string {
		nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(l)
	}
	if g := line() + " " + line(); g != "BOB 00.00.10 OK" {
		t.Fatalf("greeting %q", g)
	}
	dest := data.EncodeBase64(keys.Identity.Bytes())
	for _, c := range []struct{ cmd, want string }{
		{"setnick web", "OK Nickname set to web"},
		{"setkeys " + data.EncodeBase64(keys.Bytes()), "OK " + dest},
		{"outhost 127.0.0.1", "OK outhost set"},
		{fmt.Sprintf("outport %d", bobEchoPort), "OK outbound port set"},
		{"quiet true", "OK Quiet set"},
		{"option inbound.length=2", "OK option inbound.length set to 2"},
		{"option outbound.length=2", "OK option outbound.length set to 2"},
		{"option inbound.quantity=2", "OK option inbound.quantity set to 2"},
		{"option outbound.quantity=2", "OK option outbound.quantity set to 2"},
		{"start", "OK Tunnel starting"},
	} {
		fmt.Fprintf(nc, "%s\n", c.cmd)
		if got := line(); got != c.want {
			t.Fatalf("%.20s: %.60q, want %.60q", c.cmd, got, c.want)
		}
	}
	// Its destination published, the i2pd client tunnel reaches the echo.
	deadline := time.Now().Add(samWait * 2)
	for {
		st, err := veilStatusOf(t, m.VeilDir)
		published := false
		if err == nil {
			for _, d := range st.Destinations {
				published = published || d.Name == "web" && d.Stores > 0
			}
		}
		if published {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("BOB tunnel's destination not published after %v", samWait*2)
		}
		time.Sleep(time.Second)
	}
	t.Logf("BOB tunnel published after %v", since(t0))
	msg := make([]byte, 200<<10)
	rand.Read(msg)
	for try := 1; ; try++ {
		err := func() error {
			dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer dcancel()
			c, err := m.Net.Dialer(m.I2pdNS[2])(dctx, "tcp", fmt.Sprintf("127.0.0.1:%d", bobClientPort))
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			go c.Write(msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil {
				return err
			}
			if !bytes.Equal(got, msg) {
				return fmt.Errorf("echo differs")
			}
			return nil
		}()
		if err == nil {
			t.Logf("%d bytes echoed through i2pd's client tunnel and veil's BOB tunnel (try %d, %v)", len(msg), try, since(t0))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no echo through BOB after %d tries: %v", try, err)
		}
		t.Logf("try %d: %v", try, err)
		time.Sleep(3 * time.Second)
	}
	fmt.Fprintf(nc, "stop\n")
	if got := line(); got != "OK Tunnel stopping" {
		t.Errorf("stop: %q", got)
	}
}
