package su3

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestIsRouterInfoName(t *testing.T) {
	good := riName([]byte("x"))
	b64 := strings.TrimSuffix(strings.TrimPrefix(good, "routerInfo-"), ".dat")
	for name, want := range map[string]bool{
		good: true,
		"routerInfo-" + strings.Repeat("A", 43) + "=.dat":   true,
		"routerInfo-" + strings.Repeat("-~", 21) + "a=.dat": true,
		"routerInfo-" + strings.Repeat("+", 43) + "=.dat":   false, // standard alphabet
		"routerInfo-" + strings.Repeat("/", 43) + "=.dat":   false,
		"routerInfo-" + strings.Repeat("A", 44) + ".dat":    false, // no padding
		"routerInfo-" + strings.Repeat("A", 42) + "=.dat":   false,
		"routerInfo-" + b64:             false,
		"dir/" + good:                   false,
		"../" + good:                    false,
		"routerinfo-" + b64 + ".dat":    false,
		"routerInfo-" + b64 + ".dat.gz": false,
		"":                              false,
	} {
		if got := IsRouterInfoName(name); got != want {
			t.Errorf("IsRouterInfoName(%q) = %v, want %v", name, got, want)
		}
	}
}

// reseedFile wraps zip content in a parsed (unsigned) reseed File.
func reseedFile(t *testing.T, content []byte) *File {
	t.Helper()
	f, err := Parse(testFile(8, "1", "a", content))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type rawEntry struct {
	name   string
	data   []byte
	method uint16
	// If set, written with CreateRaw and these declared values.
	raw        bool
	crc, usize uint32
}

func makeZip(t *testing.T, entries []rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, e := range entries {
		if !e.raw {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
		fw.Write(e.data)
		fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: e.name, Method: zip.Deflate, CRC32: e.crc,
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(e.usize),
		})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRouterInfos(t *testing.T) {
	var files []NamedFile
	for i := range 5 {
		d := []byte(fmt.Sprintf("ri %d", i))
		files = append(files, NamedFile{riName(d), d})
	}
	z, err := ReseedZip(files, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	f := reseedFile(t, z)
	for _, tt := range []struct{ max, want int }{{0, 5}, {-1, 5}, {3, 3}, {5, 5}, {100, 5}, {MaxZipEntries + 1, 5}} {
		got, err := f.RouterInfos(tt.max)
		if err != nil || len(got) != tt.want {
			t.Errorf("RouterInfos(%d) = %d entries, %v; want %d", tt.max, len(got), err, tt.want)
			continue
		}
		for i, nf := range got {
			if nf.Name != files[i].Name || !bytes.Equal(nf.Data, files[i].Data) {
				t.Errorf("entry %d = %q", i, nf.Name)
			}
		}
	}

	// Other names are skipped, stored entries are read.
	d := []byte("stored")
	mixed := makeZip(t, []rawEntry{
		{name: "README", data: []byte("hi")},
		{name: "netDb/" + riName(d), data: d},
		{name: riName(d), data: d, method: zip.Store},
	})
	got, err := reseedFile(t, mixed).RouterInfos(0)
	if err != nil || len(got) != 1 || got[0].Name != riName(d) || string(got[0].Data) != "stored" {
		t.Errorf("mixed zip: %v, %v", got, err)
	}

	for _, c := range []struct {
		ct ContentType
		ft FileType
	}{{ContentNews, FileZIP}, {ContentReseed, FileXML}} {
		g := *f
		g.ContentType, g.FileType = c.ct, c.ft
		if _, err := g.RouterInfos(0); err == nil {
			t.Errorf("%v/%v accepted", c.ct, c.ft)
		}
	}
}

func TestRouterInfosRejects(t *testing.T) {
	big := bytes.Repeat([]byte{0}, MaxRouterInfoSize+1)
	d := []byte("x")
	many := make([]rawEntry, MaxZipEntries+1)
	for i := range many {
		many[i] = rawEntry{name: fmt.Sprint(i), method: zip.Store}
	}
	var heavy []rawEntry
	full := make([]byte, MaxRouterInfoSize)
	for i := range maxRouterInfosTotal/MaxRouterInfoSize + 1 {
		heavy = append(heavy, rawEntry{name: riName(fmt.Append(nil, i)), data: full, method: zip.Deflate})
	}
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"not a zip", []byte("PK not really"), "su3: zip: "},
		{"declared too large", makeZip(t, []rawEntry{{name: riName(big), data: big, method: zip.Deflate}}), "more than 65536"},
		{"lying size", makeZip(t, []rawEntry{{name: riName(big), data: big, raw: true, crc: crc32.ChecksumIEEE(big), usize: 100}}), "su3: zip: "},
		{"bad CRC", makeZip(t, []rawEntry{{name: riName(d), data: d, raw: true, crc: 1, usize: 1}}), "checksum"},
		{"duplicate", makeZip(t, []rawEntry{{name: riName(d), data: d}, {name: riName(d), data: d}}), "duplicate entry"},
		{"too many entries", makeZip(t, many), "more than 1000 entries"},
		{"too much in total", makeZip(t, heavy), "decompressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reseedFile(t, tt.content).RouterInfos(0)
			if err == nil || got != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RouterInfos = %d entries, %v; want error %q", len(got), err, tt.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

// TestRouterInfosBomb: an entry that inflates to 8 MiB while declaring
// 100 bytes costs about one entry's cap in memory, not 8 MiB.
func TestRouterInfosBomb(t *testing.T) {
	data := make([]byte, 8<<20)
	z := makeZip(t, []rawEntry{{name: riName(nil), data: data, raw: true, crc: crc32.ChecksumIEEE(data), usize: 100}})
	f := reseedFile(t, z)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := f.RouterInfos(0)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("bomb accepted")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Errorf("allocated %d bytes", n)
	}
}

func TestReseedZipRejects(t *testing.T) {
	d := []byte("x")
	ok := NamedFile{riName(d), d}
	many := make([]NamedFile, MaxZipEntries+1)
	for i := range many {
		many[i] = ok
	}
	for name, files := range map[string][]NamedFile{
		"none":      nil,
		"bad name":  {{"x.dat", d}},
		"duplicate": {ok, ok},
		"too large": {{ok.Name, make([]byte, MaxRouterInfoSize+1)}},
		"too many":  many,
	} {
		if _, err := ReseedZip(files, time.Time{}); err == nil || !strings.HasPrefix(err.Error(), "su3: zip: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
