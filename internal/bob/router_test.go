package bob_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil"
)

// TestBOBVeilRouters: bob.html's mouth and ear on two embedded veil
// routers of a private network (bob.enabled=true): a program on ear's
// port reaches an echo service behind mouth through the routers' tunnels.
func TestBOBVeilRouters(t *testing.T) {
	if testing.Short() {
		t.Skip("two routers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	net0 := []string{"netid=99", "host=127.0.0.1", "address4=127.0.0.1", "reservedrange=false", "floodfill=true",
		"ssu2.enabled=false", "reseed.threshold=0", "exploratory.inbound.length=1", "exploratory.outbound.length=1",
		"bob.enabled=true"}
	var bobs []string
	var rs []*veil.Router
	for i := range 2 {
		host := fmt.Sprintf("127.0.%d.%d", 200+os.Getpid()%50, 20+i)
		r, err := veil.Start(ctx, veil.Config{DataDir: t.TempDir(), Options: append([]string{"bob.address=" + host, "bob.port=2827"}, net0...)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		rs, bobs = append(rs, r), append(bobs, host+":2827")
	}
	for _, p := range [][2]*veil.Router{{rs[0], rs[1]}, {rs[1], rs[0]}} {
		if err := p[0].AddPeer(p[1].RouterInfo()); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	go func() {
		for {
			c, err := svc.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	tunnel := func(addr string, cmds ...string) string {
		var nc net.Conn
		for nc == nil {
			if nc, err = net.Dial("tcp", addr); err != nil && ctx.Err() != nil {
				t.Fatalf("no BOB on %s: %v", addr, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		defer nc.Close()
		r := bufio.NewReader(nc)
		r.ReadString('\n')
		r.ReadString('\n')
		var dest string
		for _, c := range cmds {
			fmt.Fprintf(nc, "%s\n", c)
			got, _ := r.ReadString('\n')
			if !strings.HasPrefix(got, "OK") {
				t.Fatalf("%s: %q", c, got)
			}
			if c == "newkeys 7" {
				dest = strings.TrimSpace(strings.TrimPrefix(got, "OK "))
			}
		}
		return dest
	}
	oneHop := []string{"option inbound.length=1", "option outbound.length=1", "option inbound.quantity=2", "option outbound.quantity=2"}
	mouth := tunnel(bobs[0], append(append([]string{"setnick mouth", "newkeys 7", "quiet true", "outhost 127.0.0.1",
		fmt.Sprintf("outport %d", svc.Addr().(*net.TCPAddr).Port)}, oneHop...), "start")...)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	tunnel(bobs[1], append(append([]string{"setnick ear", "newkeys 7", "inhost 127.0.0.1", fmt.Sprintf("inport %d", port)}, oneHop...), "start")...)
	msg := bytes.Repeat([]byte("through BOB "), 3000)
	for try := 0; ; try++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			fmt.Fprintf(c, "%s\n", mouth)
			c.Write(msg)
			got := make([]byte, len(msg))
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.ReadFull(c, got)
			c.Close()
			if err == nil && bytes.Equal(got, msg) {
				t.Logf("echoed %d bytes after %d tries", len(msg), try+1)
				return
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("no echo through BOB: %v", err)
		}
		time.Sleep(time.Second)
	}
}
