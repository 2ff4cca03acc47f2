// Package console is veil's router console: a web frontend on
// 127.0.0.1:7070 (i2pd's http.* options) that shows the router's state
// (overview with the bandwidth graph and start-up bar, peers, tunnels,
// netDb with lookups, destinations, I2P tunnels, addressbook, recent
// log lines) and changes it (settings saved to the config file, tunnels
// made, edited, stopped and started, addressbook names, shutdown and
// restart), and beside it the opt-in Prometheus metrics endpoint
// (metrics.go). The I2PControl JSON-RPC server is the subpackage
// i2pcontrol.
//
// The console sits below internal/router in the layers: it declares the
// small Router interface it needs and the view types it renders
// (view.go), plus optional interfaces a Router may also offer
// (TunnelManager, AddressBook, Logs, Restarter: the matching forms show
// only then), and internal/router/console*.go adapt the router to them.
//
// Pages are rendered on the server with html/template (so everything
// that came from the network is escaped) from templates and assets
// embedded with embed; everything works without JavaScript, except that
// a small script refreshes the bandwidth graph.
//
// Security (security.go): every request's Host header must name the
// console (localhost, 127.0.0.1, [::1] or http.hostname), against DNS
// rebinding; with http.auth every page and JSON endpoint needs HTTP
// basic auth; every form carries a CSRF token, and a POST without the
// right one is refused.
//
// Files: server.go (routes), security.go, pages.go, tunnels.go,
// addressbook.go, logs.go (log ring, restart), graph.go, format.go,
// conffile.go (editing i2pd.conf and tunnels.conf), history.go,
// metrics.go; templates and static files under assets/.
//
// Concurrency: a Server holds no mutable state of its own besides its
// CSRF token (fixed at New); the Router it shows must be safe for
// concurrent use. History and LogRing lock themselves. Serve returns
// when its context ends.
package console
