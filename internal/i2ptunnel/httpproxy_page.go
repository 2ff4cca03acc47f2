package i2ptunnel

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// The pages the HTTP proxy answers with itself: its errors (i2pd sends
// 500 for all; veil says which kind with the status) and the address
// helper's.

// page is one answer of the proxy's own.
type page struct {
	code     int
	title    string
	body     string // HTML, escaped
	location string // for a redirect
}

// response is the whole HTTP response of pg (no body for HEAD).
func (pg *page) response(head bool) []byte {
	doc := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>veil HTTP proxy: " + html.EscapeString(pg.title) +
		"</title>\n<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em}code{word-break:break-all}</style>" +
		"</head>\n<body><h1>" + html.EscapeString(pg.title) + "</h1>\n" + pg.body + "\n</body></html>\n"
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", pg.code, http.StatusText(pg.code))
	b.WriteString("Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n")
	if pg.location != "" {
		b.WriteString("Location: " + pg.location + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(doc))
	if !head {
		b.WriteString(doc)
	}
	return []byte(b.String())
}

func para(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = html.EscapeString(s)
		}
	}
	return "<p>" + fmt.Sprintf(format, args...) + "</p>"
}

func badRequestPage(err error) *page {
	return &page{code: http.StatusBadRequest, title: "Bad request",
		body: para("The proxy could not read the request: %s.", err.Error())}
}

func headerTooLongPage() *page {
	return &page{code: http.StatusRequestHeaderFieldsTooLarge, title: "Request header too large",
		body: para("The request header is larger than the proxy takes (%d KiB).", maxProxyHeader>>10)}
}

func noOutproxyPage(host string) *page {
	return &page{code: http.StatusForbidden, title: "Outproxy not configured",
		body: para("<code>%s</code> is not inside I2P, and no outproxy is configured "+
			"(option <code>httpproxy.outproxy</code>, or <code>outproxy</code> of a tunnel), so the proxy does not reach it.", host)}
}

// jumpServices are well-known sites that answer with an address helper
// link for a name they know (i2pd and Java I2P offer them too).
var jumpServices = [...]struct{ name, url string }{
	{"reg.i2p", "http://shx5vqsw7usdaunyzr2qmes2fq37oumybpudrd4jjj4e4vk4uusa.b32.i2p/jump/"},
	{"stats.i2p", "http://7tbay5p4kzeekxvyvbf6v7eauazemsnnl2aoyqhg5jzpr5eke7tq.b32.i2p/cgi-bin/jump.cgi?a="},
	{"notbob.i2p", "http://nytzrhrjjfsutowojvxi7hphesskpqqr65wpistz6wa7cpajhp7a.b32.i2p/cgi-bin/jump.cgi?q="},
}

func hostNotFoundPage(host string) *page {
	body := para("<code>%s</code> is not in the addressbook. "+
		"Sites are reached by their <code>….b32.i2p</code> (or encrypted b33) address, by a name of the addressbook "+
		"(its subscriptions, or <code>veil addressbook add</code>), or by name after an address helper link "+
		"(<code>?i2paddresshelper=</code>) has named them.", host)
	if strings.HasSuffix(host, ".b32.i2p") {
		body = para("<code>%s</code> is not a valid b32 or b33 address.", host)
	} else {
		body += para("A jump service may know it; its answer is an address helper link, which this proxy asks you to confirm:") + "<ul>"
		for _, j := range jumpServices {
			body += fmt.Sprintf("<li><a href=\"%s\">%s</a></li>", html.EscapeString(j.url+url.QueryEscape(host)), j.name)
		}
		body += "</ul>"
	}
	return &page{code: http.StatusNotFound, title: "Host not found", body: body}
}

func timeoutPage(host string) *page {
	return &page{code: http.StatusGatewayTimeout, title: "Host not reached in time",
		body: para("No stream to <code>%s</code> opened in time: its LeaseSet was not found, or it did not answer. "+
			"It may be down, or the proxy's tunnels are still being built; try again in a moment.", host)}
}

func unreachablePage(host string, err error) *page {
	return &page{code: http.StatusBadGateway, title: "Host unreachable",
		body: para("The proxy could not reach <code>%s</code>: %s.", host, err.Error())}
}
