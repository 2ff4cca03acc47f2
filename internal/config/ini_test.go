package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestParseINIDialects(t *testing.T) {
	const src = "\xef\xbb\xbftop = 1 # note\r\n" +
		"  ; comment\n" +
		"#[skipped]\n" +
		"[ sec ]\n" +
		"\tkey=a=b\n" +
		"pass = x#y\n" +
		"empty =\n"
	cases := []struct {
		d    iniDialect
		want []iniEntry
	}{
		{dialectConf, []iniEntry{
			{Line: 1, Key: "top", Value: "1"},
			{Line: 4, Section: "sec", Header: true},
			{Line: 5, Section: "sec", Key: "key", Value: "a=b"},
			{Line: 6, Section: "sec", Key: "pass", Value: "x"},
			{Line: 7, Section: "sec", Key: "empty", Value: ""},
		}},
		{dialectTunnels, []iniEntry{
			{Line: 1, Key: "top", Value: "1 # note"},
			{Line: 4, Section: "sec", Header: true},
			{Line: 5, Section: "sec", Key: "key", Value: "a=b"},
			{Line: 6, Section: "sec", Key: "pass", Value: "x#y"},
			{Line: 7, Section: "sec", Key: "empty", Value: ""},
		}},
	}
	for _, c := range cases {
		got, err := parseINI("f", []byte(src), c.d)
		if err != nil {
			t.Fatalf("dialect %d: %v", c.d, err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("dialect %d: got %+v", c.d, got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("dialect %d entry %d: got %+v want %+v", c.d, i, got[i], c.want[i])
			}
		}
	}
}

func TestParseINIEntryCap(t *testing.T) {
	src := strings.Repeat("a=1\n", maxINIEntries+1)
	if _, err := parseINI("f", []byte(src), dialectConf); err == nil || !strings.Contains(err.Error(), "more than 65536 entries") {
		t.Fatalf("err = %v", err)
	}
}

// The parser holds the input once plus one entry per line: bytes
// allocated stay within a small multiple of the input, whatever it is.
func TestParseINIAllocBound(t *testing.T) {
	inputs := map[string]string{
		"pairs":   strings.Repeat("k=v\n", maxINIEntries),
		"headers": strings.Repeat("[s]\n", maxINIEntries),
		"long":    "k = " + strings.Repeat("v", maxFileSize-10),
		"blank":   strings.Repeat("\n", maxFileSize),
	}
	entrySize := uint64(unsafe.Sizeof(iniEntry{}))
	for name, in := range inputs {
		data := []byte(in)
		marks := strings.Count(in, "=") + strings.Count(in, "[")
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := parseINI("f", data, dialectConf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runtime.ReadMemStats(&after)
		limit := uint64(len(data)) + entrySize*uint64(min(marks, maxINIEntries)) + 64<<10
		if got := after.TotalAlloc - before.TotalAlloc; got > limit {
			t.Errorf("%s: allocated %d bytes for %d input bytes (limit %d)", name, got, len(data), limit)
		}
	}
}

// FuzzParseINI throws arbitrary bytes at both INI dialects and at the
// i2pd.conf and tunnels.conf readers built on them. They must not panic;
// what parses must be trimmed single-line substrings of the input, at
// most one entry per line.
func FuzzParseINI(f *testing.F) {
	for _, s := range []string{
		"", "\n", "a=b", "[s]\nk = v", sampleConf, "[ntcp2\n", "=x", "[]", "[a]b]",
		"k = v # c", "; c\n# c", "\xef\xbb\xbf[x]\r\nk=v\r\n", "k=\x00", "[t]\ntype=client\nport=1\ndestination=x.i2p",
	} {
		f.Add([]byte(s))
	}
	for _, p := range []string{"testdata/i2pd.conf", "testdata/tunnels.conf"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		for _, d := range []iniDialect{dialectConf, dialectTunnels} {
			entries, err := parseINI("fuzz", data, d)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %v is not *Error", err)
				}
				continue
			}
			if len(entries) > lines {
				t.Fatalf("%d entries from %d lines", len(entries), lines)
			}
			total := 0
			for _, e := range entries {
				for _, s := range []string{e.Section, e.Key, e.Value} {
					if s != trim(s) || strings.ContainsAny(s, "\r\n") {
						t.Fatalf("entry %+v not trimmed to one line", e)
					}
				}
				if e.Header != (e.Key == "") {
					t.Fatalf("entry %+v: header without name or pair without key", e)
				}
				if d == dialectConf && strings.ContainsRune(e.Value, '#') {
					t.Fatalf("i2pd.conf value %q kept a comment", e.Value)
				}
				total += len(e.Key) + len(e.Value)
			}
			if total > len(data) {
				t.Fatalf("entries hold %d bytes of a %d-byte input", total, len(data))
			}
		}
		_, _ = parseConfFile("fuzz", data)
		ts, err := ParseTunnels("fuzz", data)
		if err == nil {
			for _, tu := range ts {
				_ = tu.Port() + tu.DestinationPort() + tu.InPort()
				_ = tu.I2CP()
			}
		}
	})
}

func TestSampleFiles(t *testing.T) {
	o, err := Load([]string{"--conf=" + filepath.Join("testdata", "i2pd.conf"), "--datadir=/d"}, env("/h"))
	if err != nil {
		t.Fatal(err)
	}
	if !o.IPv6 || o.NetID != 2 || o.HTTP.Port != 7070 || !o.Reseed.Verify || o.SAM.Port != 7656 {
		t.Errorf("testdata/i2pd.conf read as %+v", o)
	}
}
