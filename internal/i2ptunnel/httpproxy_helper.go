package i2ptunnel

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/veil-i2p/veil/internal/data"
)

// Address helper (jump) links: http://name.i2p/path?i2paddresshelper=
// <Base64 destination or b32> names a host for the proxy. As in i2pd
// 2.45.1, a name not known yet is taken and the browser shown a page to
// continue; a name known as the same destination is redirected to at
// once; one known otherwise is changed only through the page's link
// (update=true). Without an addressbook, veil keeps the names in memory
// until the proxy stops.

// helperParam and updateParam are the query parameters of a jump link.
const (
	helperParam = "i2paddresshelper"
	updateParam = "update"
)

// maxHelperNames bounds the names remembered.
const maxHelperNames = 1024

// helperBook is the names address helpers gave.
type helperBook struct {
	mu    sync.Mutex
	names map[string]data.Hash
}

func newHelperBook() *helperBook { return &helperBook{names: make(map[string]data.Hash)} }

func (b *helperBook) lookup(host string) (data.Hash, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.names[host]
	return h, ok
}

func (b *helperBook) add(host string, h data.Hash) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.names[host]; !ok && len(b.names) >= maxHelperNames {
		for old := range b.names { // forget one at random
			delete(b.names, old)
			break
		}
	}
	b.names[host] = h
}

// addressHelper answers a jump link to a named host, or returns nil for
// a request without one.
func (p *HTTPProxy) addressHelper(req *proxyRequest, t proxyTarget) *page {
	path, query, _ := strings.Cut(t.path, "?")
	value, update, rest, ok := cutHelper(query)
	if !ok || strings.HasSuffix(t.host, ".b32.i2p") {
		return nil
	}
	if !p.cfg.AddressHelper {
		return &page{code: http.StatusForbidden, title: "Address helper links are off",
			body: para("This proxy does not take address helper links (<code>addresshelper = false</code>).")}
	}
	to, err := ResolveDestination(context.Background(), value, nil)
	if err != nil {
		return &page{code: http.StatusBadRequest, title: "Bad address helper",
			body: para("The link's <code>%s</code> is not a Base64 destination or a b32 address.", helperParam)}
	}
	clean := t.scheme + "://" + t.hostHeader() + path
	if rest != "" {
		clean += "?" + rest
	}
	known, ok := p.helpers.lookup(t.host)
	switch {
	case ok && known == to:
		return &page{code: http.StatusFound, title: "Redirect", location: clean,
			body: fmt.Sprintf("<p><a href=\"%s\">Continue</a></p>", html.EscapeString(clean))}
	case ok && !update:
		sep := "?"
		if rest != "" {
			sep = "&"
		}
		again := clean + sep + helperParam + "=" + url.QueryEscape(value) + "&" + updateParam + "=true"
		return &page{code: http.StatusOK, title: "Address helper: name already known",
			body: para("<code>%s</code> is known as <code>%s</code>; this link names <code>%s</code>.", t.host, known.B32(), to.B32()) +
				fmt.Sprintf("<p><a href=\"%s\">Use the link's destination</a> or <a href=\"%s\">keep the known one</a>.</p>",
					html.EscapeString(again), html.EscapeString(clean))}
	}
	p.helpers.add(t.host, to)
	p.log.Info("httpproxy: name from an address helper", "host", t.host, "destination", to.B32())
	return &page{code: http.StatusOK, title: "Address helper: name added",
		body: para("<code>%s</code> is now <code>%s</code> for this proxy, until veil stops.", t.host, to.B32()) +
			fmt.Sprintf("<p><a href=\"%s\">Continue to %s</a></p>", html.EscapeString(clean), html.EscapeString(t.host))}
}

// cutHelper finds the address helper in a raw query: its value
// (unescaped), whether update=true came with it, and the query without
// both.
func cutHelper(query string) (value string, update bool, rest string, ok bool) {
	var keep []string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == helperParam && !ok:
			if u, err := url.QueryUnescape(v); err == nil {
				value, ok = u, true
			}
		case k == updateParam && v == "true":
			update = true
		case kv != "":
			keep = append(keep, kv)
		}
	}
	if !ok {
		return "", false, query, false
	}
	return value, update, strings.Join(keep, "&"), true
}
