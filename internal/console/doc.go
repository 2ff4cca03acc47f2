// Package console is veil's router console: a web frontend on
// 127.0.0.1:7070 (i2pd's http.* options) that shows the router's state
// and changes a few settings, and beside it the opt-in Prometheus
// metrics endpoint (metrics.go). The I2PControl JSON-RPC server is the
// subpackage i2pcontrol.
//
// The console sits below internal/router in the layers: it declares the
// small Router interface it needs and the view types it renders
// (view.go), and internal/router/console.go adapts the router to them.
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
// Concurrency: a Server holds no mutable state of its own besides its
// CSRF key (fixed at New); the Router it shows must be safe for
// concurrent use. Serve returns when its context ends.
package console
