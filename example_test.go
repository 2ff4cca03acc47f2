package veil_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/veil-i2p/veil"
)

// An HTTP server on an I2P destination: its address stays the same as
// long as web.dat is kept.
func ExampleDestination_Listen() {
	ctx := context.Background()
	r, err := veil.Start(ctx, veil.Config{DataDir: "/var/lib/example/veil"})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	d, err := r.NewDestination(ctx, veil.DestinationOptions{Name: "web", KeysFile: "web.dat"})
	if err != nil {
		log.Fatal(err)
	}
	l, err := d.Listen()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("serving on http://" + d.Addr().B32())
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintln(w, "hello from I2P")
	}))
}

// An HTTP client that reaches I2P sites through a transient destination
// of its own.
func ExampleDestination_DialContext() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := veil.Start(ctx, veil.Config{DataDir: "/var/lib/example/veil"})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	d, err := r.NewDestination(ctx, veil.DestinationOptions{})
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	resp, err := client.Get("http://udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d bytes\n", resp.Status, len(body))
}

// Datagrams: an echo service that answers every datagram to its sender.
func ExampleDestination_ListenPacket() {
	ctx := context.Background()
	r, err := veil.Start(ctx, veil.Config{DataDir: "/var/lib/example/veil"})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	d, err := r.NewDestination(ctx, veil.DestinationOptions{KeysFile: "echo.dat"})
	if err != nil {
		log.Fatal(err)
	}
	pc, err := d.ListenPacket("datagram", 7)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("echo on " + pc.LocalAddr().String())
	buf := make([]byte, 32<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			log.Fatal(err)
		}
		pc.WriteTo(buf[:n], from) // from is the sender's veil.Addr
	}
}

// Two routers of a private network on loopback, for tests: a network id
// of their own, no reseeding, one-hop tunnels, and each other's
// RouterInfo.
func ExampleRouter_AddPeer() {
	ctx := context.Background()
	opts := []string{"netid=99", "host=127.0.0.1", "address4=127.0.0.1", "reservedrange=false",
		"floodfill=true", "reseed.threshold=0", "exploratory.inbound.length=1", "exploratory.outbound.length=1"}
	a, err := veil.Start(ctx, veil.Config{DataDir: "/tmp/veil-a", Options: opts})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := veil.Start(ctx, veil.Config{DataDir: "/tmp/veil-b", Options: opts})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	if err := a.AddPeer(b.RouterInfo()); err != nil {
		log.Fatal(err)
	}
	if err := b.AddPeer(a.RouterInfo()); err != nil {
		log.Fatal(err)
	}
	d, err := a.NewDestination(ctx, veil.DestinationOptions{Options: []string{"inbound.length=1", "outbound.length=1"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Addr())
}
