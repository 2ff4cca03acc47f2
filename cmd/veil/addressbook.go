package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/addressbook"
	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

func addressBookUsage(w io.Writer) {
	fmt.Fprint(w, `usage: veil addressbook COMMAND [--datadir=DIR | --conf=FILE]

  list [--book=private|router|all]   names, their .b32.i2p address and book
  add NAME DESTINATION [--replace]   add to the private book (DESTINATION: Base64,
                                     or @FILE holding it)
  remove NAME                        remove from the private book (else the router's)
  import FILE|-                      add a hosts.txt to the private book
  export [--book=private|router|all] print a book in hosts.txt format
  update                             fetch the subscriptions now (running router)

While a router runs on the data folder, the commands go to it through
<datadir>/veil.sock; otherwise they read and write the files in
<datadir>/addressbook/ (hosts.txt, privatehosts.txt) themselves.
`)
}

// runAddressBook implements `veil addressbook`.
func runAddressBook(args []string, stdout, stderr io.Writer) int {
	var pos, rest []string
	book, replace := "", false
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--book="):
			book = strings.TrimPrefix(a, "--book=")
		case a == "--replace":
			replace = true
		case strings.HasPrefix(a, "-") && a != "-":
			rest = append(rest, a)
		default:
			pos = append(pos, a)
		}
	}
	opts, err := config.Load(rest, nil)
	switch {
	case errors.Is(err, config.ErrHelp) || len(pos) == 0:
		addressBookUsage(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "veil addressbook: %v\n", err)
		return 2
	}
	c, closeFn, err := addressBookClient(opts.DataDir)
	if err != nil {
		fmt.Fprintf(stderr, "veil addressbook: %v\n", err)
		return 1
	}
	defer closeFn()
	want := func(n int) bool {
		if len(pos) != n {
			addressBookUsage(stderr)
			return false
		}
		return true
	}
	q := url.Values{"book": {book}}
	switch pos[0] {
	case "list":
		if !want(1) {
			return 2
		}
		body, err := c.call("GET", "/addressbook/list?"+q.Encode(), nil)
		if err != nil {
			return fail(stderr, err)
		}
		var l []addressbook.Listed
		if err := json.Unmarshal(body, &l); err != nil {
			return fail(stderr, err)
		}
		for _, e := range l {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", e.Name, e.B32, e.Book)
		}
	case "export":
		if !want(1) {
			return 2
		}
		body, err := c.call("GET", "/addressbook/export?"+q.Encode(), nil)
		if err != nil {
			return fail(stderr, err)
		}
		stdout.Write(body)
	case "add":
		if !want(3) {
			return 2
		}
		dest := pos[2]
		if f, ok := strings.CutPrefix(dest, "@"); ok {
			b, err := os.ReadFile(f)
			if err != nil {
				return fail(stderr, err)
			}
			dest = strings.TrimSpace(string(b))
		}
		form := url.Values{"name": {pos[1]}, "dest": {dest}}
		if replace {
			form.Set("replace", "true")
		}
		if _, err := c.call("POST", "/addressbook/add", strings.NewReader(form.Encode())); err != nil {
			return fail(stderr, err)
		}
	case "remove":
		if !want(2) {
			return 2
		}
		if _, err := c.call("POST", "/addressbook/remove", strings.NewReader(url.Values{"name": {pos[1]}}.Encode())); err != nil {
			return fail(stderr, err)
		}
	case "import":
		if !want(2) {
			return 2
		}
		var in io.Reader = os.Stdin
		if pos[1] != "-" {
			f, err := os.Open(pos[1])
			if err != nil {
				return fail(stderr, err)
			}
			defer f.Close()
			in = f
		}
		body, err := c.call("POST", "/addressbook/import", in)
		if err != nil {
			return fail(stderr, err)
		}
		var st addressbook.Stats
		json.Unmarshal(body, &st)
		fmt.Fprintf(stdout, "%d added, %d already there or conflicting, %d bad lines, %d bad signatures\n",
			st.Added, st.Conflicts+st.Ignored, st.Bad, st.BadSig)
	case "update":
		if !want(1) {
			return 2
		}
		if _, err := c.call("POST", "/addressbook/update", nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintln(stdout, "update started; `veil addressbook list` shows the result")
	default:
		addressBookUsage(stderr)
		return 2
	}
	return 0
}

func fail(w io.Writer, err error) int {
	fmt.Fprintf(w, "veil addressbook: %v\n", err)
	return 1
}

// bookClient talks to the addressbook endpoints: a running router's
// control socket, or the same endpoints served in-process on the files.
type bookClient struct{ c *http.Client }

// handlerTransport serves requests with an in-process handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func addressBookClient(dataDir string) (*bookClient, func(), error) {
	sock := filepath.Join(dataDir, router.ControlFile)
	if _, err := os.Lstat(sock); err == nil {
		c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			}}}
		if resp, err := c.Get("http://veil/status"); err == nil {
			resp.Body.Close()
			return &bookClient{c}, c.CloseIdleConnections, nil
		}
	}
	book, err := addressbook.Open(addressbook.Config{Dir: filepath.Join(dataDir, router.AddressBookDir)})
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	router.AddressBookRoutes(mux, book, nil)
	return &bookClient{&http.Client{Transport: handlerTransport{mux}}}, func() {}, nil
}

// call makes one request and returns the body of a 2xx answer.
func (b *bookClient) call(method, path string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequest(method, "http://veil"+path, body)
	if err != nil {
		return nil, err
	}
	if method == "POST" && path != "/addressbook/import" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 2*addressbook.MaxFileSize))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s", strings.TrimSpace(string(out)))
	}
	return out, nil
}
