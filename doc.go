// Package veil embeds an I2P router in a Go program and gives its
// destinations the standard library's network interfaces: a
// [net.Listener] and [net.Conn] for I2P streams, a [net.PacketConn] for
// I2P datagrams. Any code written against package net (net/http, a gRPC
// server, an RPC protocol) serves and connects over I2P unchanged.
//
// # Quick start
//
// Start a router, open a destination, and serve HTTP on it:
//
//	r, err := veil.Start(ctx, veil.Config{DataDir: "/var/lib/myapp/veil"})
//	if err != nil { ... }
//	defer r.Close()
//	d, err := r.NewDestination(ctx, veil.DestinationOptions{KeysFile: "web.dat"})
//	if err != nil { ... }
//	l, err := d.Listen()
//	if err != nil { ... }
//	fmt.Println("serving on http://" + d.Addr().B32())
//	http.Serve(l, handler)
//
// Fetch from an I2P site through a destination of your own:
//
//	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
//	resp, err := client.Get("http://" + b32 + "/")
//
// # Routers
//
// [Start] runs a complete router (the one the veil command runs) inside
// the program until [Router.Close]. It keeps its identity, netDb and keys
// in Config.DataDir, laid out as i2pd's, and takes options under the
// names of the veil command and of i2pd ("name=value": "bandwidth=P",
// "floodfill=true", "port=12345", "netid=99", ...), read over the
// i2pd.conf or veil.conf found in the data folder, as the command reads
// them; tunnels.conf there is honoured too. Unlike the command, an
// embedded router opens no local service of its own (web console, HTTP
// and SOCKS proxies, SAM) unless an option turns it on. Its control
// socket, <DataDir>/veil.sock, lets `veil status --datadir DIR` show it.
//
// A new router knows no other: on the live network (netid 2) it reseeds
// from the reseed servers, which takes a minute or two, and builds
// tunnels before its destinations are reachable.
//
// # Destinations
//
// [Router.NewDestination] opens a destination: an I2P address with its
// own keys (kept in KeysFile, in i2pd's format, or new at every start),
// tunnels and LeaseSet. It returns once the LeaseSet is published, so the
// destination is reachable. On it:
//
//   - [Destination.Listen] and [Destination.ListenPort] accept I2P streams
//     (connections) as a [net.Listener];
//   - [Destination.Dial] and [Destination.DialContext] open a stream to
//     "host:port", where host is a ….b32.i2p address, an encrypted
//     LeaseSet's b33 address, a full Base64 destination, or a name of the
//     router's address book (<DataDir>/addressbook, filled by its
//     subscriptions on the live network, the addressbook.* options, and
//     `veil addressbook add`). Their signature is
//     [net.Dialer.DialContext]'s, for http.Transport and the like;
//   - [Destination.ListenPacket] sends and receives datagrams as a
//     [net.PacketConn]: "datagram" ones name and prove their sender (an
//     [Addr] to answer), "raw" ones are smaller and anonymous;
//   - [Destination.Addr] is its own address, in the .b32.i2p form others
//     dial and in the Base64 form address books hold.
//
// I2P streams behave like TCP connections, with I2P's latency: a few
// hundred milliseconds to seconds per round trip, more for the first
// connection to a destination, whose LeaseSet must be looked up.
//
// # Private networks
//
// Tests and labs run routers on a private network: a netid other than 2
// ("netid=99"), on loopback or a LAN ("host=127.0.0.1",
// "reservedrange=false" to talk to such addresses), with no reseeding
// ("reseed.urls=" and "reseed.threshold=0"). Routers meet by exchanging
// their RouterInfos: give each [Router.RouterInfo] to the others'
// [Router.AddPeer]. Tunnels need other routers as hops, so shorten them
// on a small network ("exploratory.inbound.length=1", and
// "inbound.length=1" in DestinationOptions.Options).
//
// # Concurrency and lifetimes
//
// Every method is safe for concurrent use. [Router.Close] closes the
// router's destinations, their listeners, streams and packet connections,
// and returns once everything the router started has stopped.
package veil
