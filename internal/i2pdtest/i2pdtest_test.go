package i2pdtest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConfFileSafety(t *testing.T) {
	c := &Config{DataDir: "/d", NetID: 77, Host: "127.0.0.1", Port: 1234, HTTPPort: 1235, LogLevel: "info",
		Options: map[string]string{"sam.enabled": "true", "limits.transittunnels": "10"}}
	conf := confFile(c)
	for _, want := range []string{
		"netid = 77\n", "\n[reseed]\n", "urls = https://127.0.0.1:9/\n", "verify = false\n",
		"\n[upnp]\nenabled = false\n", "\n[nettime]\nenabled = false\n", "\n[addressbook]\nenabled = false\n",
		"\n[socksproxy]\nenabled = false\n", "\n[bob]\nenabled = false\n", "\n[i2pcontrol]\nenabled = false\n",
		"\n[sam]\nenabled = true\n", "transittunnels = 10\n", "strictheaders = false\n", "daemon = false\n",
		"host = 127.0.0.1\n", "port = 1234\n", "logfile = /d/i2pd.log\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("i2pd.conf lacks %q:\n%s", want, conf)
		}
	}
	// Top-level options must come before the first section.
	top, _, _ := strings.Cut(conf, "\n[")
	if !strings.Contains(top, "netid = 77") {
		t.Errorf("netid is not a top-level option:\n%s", conf)
	}
}

func TestConfigRefusesUnsafe(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts map[string]string
	}{
		{"netid", map[string]string{"netid": "2"}},
		{"reseed urls", map[string]string{"reseed.urls": "https://reseed.example/"}},
		{"upnp", map[string]string{"upnp.enabled": "true"}},
		{"case", map[string]string{"NTPTime.x": "1\nnetid=2"}},
		{"socks", map[string]string{"SocksProxy.Enabled": "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkOptions(tc.opts); err == nil {
				t.Errorf("checkOptions(%v) accepted it", tc.opts)
			}
		})
	}
	for _, id := range []int{1, 2, 15, 255, -1} {
		if err := checkNetID(id); err == nil {
			t.Errorf("checkNetID(%d) accepted it", id)
		}
	}
	if err := checkNetID(99); err != nil {
		t.Errorf("checkNetID(99): %v", err)
	}
}

// fakeIdentity is a 391-byte X25519/Ed25519 identity (key certificate,
// payload sig type 7, crypto type 4) followed by tail.
func fakeIdentity(tail string) []byte {
	b := make([]byte, 391, 391+len(tail))
	for i := range 384 {
		b[i] = byte(i)
	}
	b[384] = 5
	binary.BigEndian.PutUint16(b[385:], 4)
	binary.BigEndian.PutUint16(b[387:], 7)
	binary.BigEndian.PutUint16(b[389:], 4)
	return append(b, tail...)
}

func TestIdentityHelpers(t *testing.T) {
	id := fakeIdentity("rest of a RouterInfo")
	if n, err := IdentityLen(id); err != nil || n != 391 {
		t.Fatalf("IdentityLen = %d, %v; want 391", n, err)
	}
	h1, _ := IdentHash(id)
	h2, _ := IdentHash(id[:391])
	if h1 != h2 {
		t.Error("IdentHash depends on bytes after the identity")
	}
	if _, err := IdentityLen(id[:390]); err == nil {
		t.Error("IdentityLen accepted a truncated certificate")
	}
	if _, err := IdentityLen(id[:100]); err == nil {
		t.Error("IdentityLen accepted 100 bytes")
	}
	if got := Base64([]byte{0xfb, 0xff, 0xbf}); got != "-~-~" {
		t.Errorf("Base64 alphabet: got %q, want -~-~", got)
	}
	if got := B32([32]byte{}); got != strings.Repeat("a", 52)+".b32.i2p" {
		t.Errorf("B32(zero) = %q", got)
	}
	hash, _ := RouterInfoHash(id)
	if got, want := NetDbFile("/n", hash), "/n/r"+hash[:1]+"/routerInfo-"+hash+".dat"; got != want {
		t.Errorf("NetDbFile = %q, want %q", got, want)
	}
}

func TestWriteReseedZip(t *testing.T) {
	ri := fakeIdentity("signed stuff")
	path := filepath.Join(t.TempDir(), "seed.zip")
	if err := WriteReseedZip(path, ri); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// i2pd walks local file headers: sizes must be there, no data descriptor.
	if flags := binary.LittleEndian.Uint16(raw[6:]); flags&0x8 != 0 {
		t.Errorf("local header has the data-descriptor flag (flags %#x)", flags)
	}
	if size := binary.LittleEndian.Uint32(raw[18:]); int(size) != len(ri) {
		t.Errorf("local header compressed size %d, want %d", size, len(ri))
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := RouterInfoHash(ri)
	if len(zr.File) != 1 || zr.File[0].Name != "routerInfo-"+hash+".dat" {
		t.Fatalf("zip entries: %v", zr.File)
	}
}

// TestRouterLifecycle runs a real i2pd (skipped if it is not installed).
func TestRouterLifecycle(t *testing.T) {
	r, dest := NewDestination(t, Config{NetID: 77})
	if r.Running() {
		t.Fatal("NewDestination left the router running")
	}
	keys, err := os.ReadFile(dest.KeysPath)
	if err != nil {
		t.Fatal(err)
	}
	h, err := IdentHash(keys)
	if err != nil {
		t.Fatal(err)
	}
	if got := B32(h); got != dest.B32 {
		t.Errorf("i2pd shows %s for %s, hash of its first bytes gives %s", dest.B32, dest.KeysPath, got)
	}
	ri, err := os.ReadFile(r.RouterInfoPath())
	if err != nil {
		t.Fatal(err)
	}
	hash, err := RouterInfoHash(ri)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(ri, []byte("\x05netId=\x0277;")) {
		t.Errorf("router.info does not carry netId=77")
	}
	f, err := ParseRouterInfo(ri)
	if err != nil {
		t.Fatal(err)
	}
	if f.Hash != hash || f.Options["netId"] != "77" || f.Options["router.version"] == "" {
		t.Errorf("ParseRouterInfo: hash %s (want %s), options %v", f.Hash, hash, f.Options)
	}
	styles := map[string]bool{}
	for _, a := range f.Addresses {
		styles[a.Style] = true
		if a.Options["host"] != "127.0.0.1" || a.Options["port"] != strconv.Itoa(r.Config().Port) {
			t.Errorf("address %s: host/port %s:%s, want 127.0.0.1:%d", a.Style, a.Options["host"], a.Options["port"], r.Config().Port)
		}
	}
	if !styles["NTCP2"] || !styles["SSU2"] {
		t.Errorf("addresses %v: want NTCP2 and SSU2", f.Addresses)
	}

	r.Restart()
	pid := r.PID()
	if pid == 0 || !r.Running() {
		t.Fatal("not running after Restart")
	}
	if _, err := r.WaitLog("NetDb: ", 10*time.Second); err != nil {
		t.Error(err)
	}
	if _, loaded, err := r.LoggedKeysB32(dest.KeysPath, 10*time.Second); err != nil || loaded {
		t.Errorf("after restart: want a \"Local address … loaded\" line: created=%v err=%v", loaded, err)
	}
	page, err := r.ConsoleGet("/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, "i2pd") {
		t.Errorf("console main page does not mention i2pd")
	}
	r.Stop()
	if r.Running() || r.PID() != 0 {
		t.Error("still running after Stop")
	}
	if err := os.Remove(r.RouterInfoPath()); err != nil { // i2pd rewrites it from router.keys
		t.Fatal(err)
	}
	r.Restart()
	if err := r.WaitRouterInfo(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	ri2, _ := os.ReadFile(r.RouterInfoPath())
	if h2, _ := RouterInfoHash(ri2); h2 != hash {
		t.Errorf("identity changed across restarts: %s then %s", hash, h2)
	}
}
