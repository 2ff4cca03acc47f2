package i2ptunnel

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Address helper (jump) links: http://name.i2p/path?i2paddresshelper=
// <Base64 destination or b32> names a host for the proxy (naming.html,
// "Jump Services"). Nothing changes until the user confirms: the link
// first gets a page that says what the name would become and whether
// the addressbook holds it otherwise, with links to continue (the name
// is kept in memory until the proxy stops) or, for a full Base64
// destination, to save it to the private addressbook and continue.
// Those links carry a nonce the proxy derives from a secret of its own,
// so a site cannot send a browser straight to "save" with a key of its
// choosing. A name already known as the link's destination is
// redirected to at once.

// Query parameters of a jump link and of the confirmation's links.
const (
	helperParam  = "i2paddresshelper"
	actionParam  = "i2paddresshelperaction" // "continue" or "save"
	nonceParam   = "i2paddresshelpernonce"
	actionGo     = "continue"
	actionSave   = "save"
	helperLookup = 5 * time.Second // bounds the book lookup for a conflict
)

// maxHelperNames bounds the names remembered.
const maxHelperNames = 1024

// NameBook is where the proxy saves names the user confirms: the
// addressbook's private book.
type NameBook interface {
	// SaveName adds name for d; with replace, over a name held already.
	SaveName(name string, d data.Destination, replace bool) error
}

// helperBook is the names address helpers gave, and the secret of the
// confirmation links' nonces.
type helperBook struct {
	mu     sync.Mutex
	names  map[string]data.Hash
	secret [32]byte
}

func newHelperBook() *helperBook {
	b := &helperBook{names: make(map[string]data.Hash)}
	rand.Read(b.secret[:])
	return b
}

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

// nonce binds a confirmation link to one host, value and action.
func (b *helperBook) nonce(host, value, action string) string {
	m := hmac.New(sha256.New, b.secret[:])
	m.Write([]byte(host + "\x00" + value + "\x00" + action))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// SetNameBook lets the proxy save confirmed names (nil: it offers only
// to continue).
func (p *HTTPProxy) SetNameBook(b NameBook) { p.book = b }

// helperLink is a jump link's parts.
type helperLink struct {
	value, action, nonce string
	rest                 string // the query without the helper's parameters
}

// addressHelper answers a jump link to a named host, or returns nil for
// a request without one.
func (p *HTTPProxy) addressHelper(req *proxyRequest, t proxyTarget) *page {
	path, query, _ := strings.Cut(t.path, "?")
	l, ok := cutHelper(query)
	if !ok || strings.HasSuffix(t.host, ".b32.i2p") {
		return nil
	}
	if !p.cfg.AddressHelper {
		return &page{code: http.StatusForbidden, title: "Address helper links are off",
			body: para("This proxy does not take address helper links (<code>addresshelper = false</code>).")}
	}
	to, err := ResolveDestination(context.Background(), l.value, nil)
	if err != nil {
		return &page{code: http.StatusBadRequest, title: "Bad address helper",
			body: para("The link's <code>%s</code> is not a Base64 destination or a b32 address.", helperParam)}
	}
	var full data.Destination // only a Base64 destination can be saved
	if raw, err := data.DecodeBase64(l.value); err == nil && !strings.HasSuffix(strings.ToLower(l.value), ".i2p") {
		if d, rest, err := data.ParseKeysAndCert(raw); err == nil && len(rest) == 0 {
			full = d
		}
	}
	clean := t.scheme + "://" + t.hostHeader() + path
	if l.rest != "" {
		clean += "?" + l.rest
	}
	redirect := &page{code: http.StatusFound, title: "Redirect", location: clean,
		body: fmt.Sprintf("<p><a href=\"%s\">Continue</a></p>", html.EscapeString(clean))}
	known, knownFrom := p.knownAs(t.host)
	if l.action != "" && hmac.Equal([]byte(l.nonce), []byte(p.helpers.nonce(t.host, l.value, l.action))) {
		switch {
		case l.action == actionGo:
			p.helpers.add(t.host, to)
			return redirect
		case l.action == actionSave && p.book != nil && !full.IsZero():
			if err := p.book.SaveName(t.host, full, knownFrom != ""); err != nil {
				return &page{code: http.StatusInternalServerError, title: "Name not saved",
					body: para("<code>%s</code> was not saved: %s.", t.host, err.Error())}
			}
			p.helpers.add(t.host, to) // the proxy's own lookups see it at once
			return redirect
		}
	}
	if knownFrom != "" && known == to {
		return redirect
	}
	// The confirmation page: nothing is kept until a link is followed.
	link := func(action string) string {
		q := l.rest
		if q != "" {
			q += "&"
		}
		q += helperParam + "=" + url.QueryEscape(l.value) + "&" + actionParam + "=" + action +
			"&" + nonceParam + "=" + p.helpers.nonce(t.host, l.value, action)
		return html.EscapeString(t.scheme + "://" + t.hostHeader() + path + "?" + q)
	}
	title := "Address helper: unknown name"
	body := para("The link you followed says <code>%s</code> is <code>%s</code>. This proxy does not know the name yet.", t.host, to.B32())
	if knownFrom != "" {
		title = "Address helper: name known otherwise"
		body = para("The link you followed says <code>%s</code> is <code>%s</code>, but %s knows it as <code>%s</code>. "+
			"A site can send such a link to take a name over: use it only if you trust where it came from.",
			t.host, to.B32(), knownFrom, known.B32())
		body += fmt.Sprintf("<p><a href=\"%s\">Keep the known destination</a></p>", html.EscapeString(clean))
	}
	body += fmt.Sprintf("<p><a href=\"%s\">Continue to the link's destination</a> (remembered until veil stops)</p>", link(actionGo))
	switch {
	case p.book == nil:
	case full.IsZero():
		body += para("Only a link with a full Base64 destination can be saved to the addressbook; this one gives a b32 address.")
	case knownFrom != "":
		body += fmt.Sprintf("<p><a href=\"%s\">Save the link's destination to the private addressbook, replacing the known one, and continue</a></p>", link(actionSave))
	default:
		body += fmt.Sprintf("<p><a href=\"%s\">Save to the private addressbook and continue</a></p>", link(actionSave))
	}
	return &page{code: http.StatusOK, title: title, body: body}
}

// knownAs returns what host is known as, and by whom ("" if unknown):
// the addressbook, or an earlier helper link.
func (p *HTTPProxy) knownAs(host string) (data.Hash, string) {
	if p.resolve != nil {
		ctx, cancel := context.WithTimeout(context.Background(), helperLookup)
		defer cancel()
		if h, err := p.resolve(ctx, host); err == nil {
			return h, "your addressbook"
		}
	}
	if h, ok := p.helpers.lookup(host); ok {
		return h, "this proxy (from an earlier link)"
	}
	return data.Hash{}, ""
}

// cutHelper finds the address helper in a raw query: its value
// (unescaped), the confirmation's action and nonce, and the query
// without them.
func cutHelper(query string) (helperLink, bool) {
	var l helperLink
	var keep []string
	ok := false
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == helperParam && !ok:
			if u, err := url.QueryUnescape(v); err == nil {
				l.value, ok = u, true
			}
		case k == actionParam:
			l.action = v
		case k == nonceParam:
			l.nonce = v
		case kv != "":
			keep = append(keep, kv)
		}
	}
	if !ok {
		return helperLink{}, false
	}
	l.rest = strings.Join(keep, "&")
	return l, true
}
