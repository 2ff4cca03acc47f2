package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/addressbook"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/router"
)

func testDestB64(t *testing.T) (string, data.Destination) {
	k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return data.EncodeBase64(k.Identity.Bytes()), k.Identity
}

// TestAddressBookCommand runs the subcommands on the files (no router).
func TestAddressBookCommand(t *testing.T) {
	dir := t.TempDir()
	dd := "--datadir=" + dir
	b64, d := testDestB64(t)
	other, _ := testDestB64(t)
	veil := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"addressbook"}, append(args, dd)...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, e := veil("add", "Mine.i2p", b64); code != 0 {
		t.Fatalf("add: %d %s", code, e)
	}
	if code, _, _ := veil("add", "mine.i2p", other); code == 0 {
		t.Fatal("add over a held name succeeded without --replace")
	}
	if code, _, e := veil("add", "bad..i2p", other); code == 0 || !strings.Contains(e, "bad host name") {
		t.Fatalf("bad name: %d %q", code, e)
	}
	feed := filepath.Join(dir, "feed.txt")
	os.WriteFile(feed, []byte("other.i2p="+other+"\nmine.i2p="+other+"\ngarbage\n"), 0o600)
	if code, out, e := veil("import", feed); code != 0 || !strings.HasPrefix(out, "1 added, 1 already") {
		t.Fatalf("import: %d %q %s", code, out, e)
	}
	code, out, _ := veil("list")
	if code != 0 || !strings.Contains(out, "mine.i2p\t"+d.Hash().B32()+"\tprivate") || !strings.Contains(out, "other.i2p") {
		t.Fatalf("list: %q", out)
	}
	code, out, _ = veil("export", "--book=private")
	if code != 0 || !strings.Contains(out, "mine.i2p="+b64+"\n") {
		t.Fatalf("export: %q", out)
	}
	if code, _, e := veil("remove", "mine.i2p"); code != 0 {
		t.Fatal(e)
	}
	if code, _, _ := veil("remove", "mine.i2p"); code == 0 {
		t.Fatal("second remove succeeded")
	}
	if code, _, e := veil("update"); code == 0 {
		t.Fatalf("update without a router succeeded: %s", e)
	}
}

func TestStatusAddressBook(t *testing.T) {
	st := &router.Status{AddressBook: &router.AddressBookStatus{Private: 1, Router: 20,
		Subscriptions: []addressbook.Status{{URL: "http://x.i2p/h"}, {URL: "http://y.i2p/h", LastError: "HTTP 404"}}}}
	var b bytes.Buffer
	writeStatus(&b, st)
	for _, want := range []string{"addressbook: 1 private names, 20 from subscriptions", "subscription: http://x.i2p/h (not fetched yet)", "failed: HTTP 404"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}
