package su3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

// testFile builds an unsigned-looking su3 file by hand: a header with the
// given fields, then version, signer, content and a zero signature of the
// right length. Tests patch it to make it malformed.
func testFile(t crypto.SigType, version, signer string, content []byte) []byte {
	b := &Builder{FileType: FileZIP, ContentType: ContentReseed, Version: version, SignerID: signer, Content: content}
	out := b.appendUnsigned(nil, t)
	return append(out, make([]byte, t.SigLen())...)
}

func TestParseFields(t *testing.T) {
	content := []byte("PK content")
	raw := testFile(crypto.SigRSASHA5124096, "0.9.68", "zzz@mail.i2p", content)
	f, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.SigType != crypto.SigRSASHA5124096 || f.FileType != FileZIP || f.ContentType != ContentReseed {
		t.Errorf("types = %v %v %v", f.SigType, f.FileType, f.ContentType)
	}
	if f.Version != "0.9.68" || f.SignerID != "zzz@mail.i2p" {
		t.Errorf("version %q signer %q", f.Version, f.SignerID)
	}
	if !bytes.Equal(f.Content, content) || len(f.Signature) != 512 {
		t.Errorf("content %q, signature %d bytes", f.Content, len(f.Signature))
	}
	if want := HeaderLen + 16 + len("zzz@mail.i2p") + len(content); len(f.Signed) != want || !bytes.Equal(f.Signed, raw[:want]) {
		t.Errorf("signed = %d bytes, want %d", len(f.Signed), want)
	}
	// The slices alias the input but are capped: appending must not
	// overwrite the signature.
	if cap(f.Content) != len(f.Content) || cap(f.Signed) != len(f.Signed) {
		t.Errorf("slices not capped")
	}
	_ = append(f.Content, 'x')
	if !bytes.Equal(f.Signature, make([]byte, 512)) {
		t.Errorf("append to Content overwrote Signature")
	}
	if got := FileXMLGZ.String() + " " + ContentBlocklist.String() + " " + FileType(9).String(); got != "xml.gz blocklist FileType(9)" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseVersionPadding(t *testing.T) {
	long := strings.Repeat("v", 40)
	for _, v := range []string{"1", "1767225600", "0123456789abcdef", long} {
		f, err := Parse(testFile(crypto.SigEdDSASHA512ph, v, "a", []byte{1}))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if f.Version != v {
			t.Errorf("version %q, want %q", f.Version, v)
		}
	}
}

// patch returns a copy of b with fn applied.
func patch(b []byte, fn func(b []byte) []byte) []byte {
	return fn(append([]byte(nil), b...))
}

func TestParseRejects(t *testing.T) {
	good := testFile(crypto.SigEdDSASHA512ph, "1", "a@b", []byte("content"))
	verOff := HeaderLen
	signerOff := HeaderLen + MinVersionLen
	tests := []struct {
		name string
		b    []byte
		is   error
		msg  string
	}{
		{"empty", nil, ErrNotSU3, ""},
		{"magic", patch(good, func(b []byte) []byte { b[0] = 'i'; return b }), ErrNotSU3, ""},
		{"format version", patch(good, func(b []byte) []byte { b[offFormat] = 1; return b }), nil, "format version 1"},
		{"unknown sig type", patch(good, func(b []byte) []byte { b[offSigType+1] = 9; return b }), crypto.ErrUnknownSigType, ""},
		{"sig length", patch(good, func(b []byte) []byte { b[offSigLen+1] = 65; return b }), nil, "signature length 65"},
		{"version length", patch(good, func(b []byte) []byte { b[offVersionLen] = 15; return b }), nil, "version length 15"},
		{"signer length 0", patch(good, func(b []byte) []byte { b[offSignerLen] = 0; return b }), nil, "empty signer"},
		{"content length 0", patch(good, func(b []byte) []byte { binary.BigEndian.PutUint64(b[offContentLen:], 0); return b }), nil, "empty content"},
		{"content length +1", patch(good, func(b []byte) []byte { b[offContentLen+7]++; return b }), ErrTruncated, ""},
		{"content length huge", patch(good, func(b []byte) []byte { binary.BigEndian.PutUint64(b[offContentLen:], 1<<63); return b }), ErrTruncated, ""},
		{"content length max", patch(good, func(b []byte) []byte { binary.BigEndian.PutUint64(b[offContentLen:], ^uint64(0)); return b }), ErrTruncated, ""},
		{"trailing byte", append(append([]byte(nil), good...), 0), nil, "1 bytes after signature"},
		{"content length -1", patch(good, func(b []byte) []byte { b[offContentLen+7]--; return b }), nil, "1 bytes after signature"},
		{"content type", patch(good, func(b []byte) []byte { b[offContent] = 6; return b }), nil, "unknown content type 6"},
		{"version after NUL", patch(good, func(b []byte) []byte { b[verOff+5] = 'x'; return b }), nil, "after NUL"},
		{"version UTF-8", patch(good, func(b []byte) []byte { b[verOff] = 0xff; return b }), nil, "version: not UTF-8"},
		{"signer UTF-8", patch(good, func(b []byte) []byte { b[signerOff] = 0xff; return b }), nil, "signer ID: not UTF-8"},
		{"fields past end", good[:HeaderLen+10], ErrTruncated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.b)
			if err == nil || f != nil {
				t.Fatalf("Parse = %v, %v; want error", f, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if !strings.HasPrefix(err.Error(), "su3: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want prefix su3: and %q", err, tt.msg)
			}
		})
	}
}

// TestParseIgnoresUnused: unused header bytes are written as zero but not
// checked, as Java I2P and i2pd skip them.
func TestParseIgnoresUnused(t *testing.T) {
	b := testFile(crypto.SigEdDSASHA512ph, "1", "a", []byte{1})
	for _, i := range []int{6, 12, 14, 24, 26, 28, 39} {
		b[i] = 0xAA
	}
	if _, err := Parse(b); err != nil {
		t.Fatal(err)
	}
}

func TestParseTruncatedPrefixes(t *testing.T) {
	for _, st := range []crypto.SigType{crypto.SigEdDSASHA512ph, crypto.SigRSASHA5124096} {
		b := testFile(st, "1767225600", "zzz@mail.i2p", bytes.Repeat([]byte{7}, 100))
		for n := 0; n < len(b); n++ {
			if _, err := Parse(b[:n]); err == nil {
				t.Fatalf("%v: prefix of %d/%d bytes parsed", st, n, len(b))
			}
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates MaxSize")
	}
	if _, err := Parse(make([]byte, MaxSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v", err)
	}
}

func TestParseReader(t *testing.T) {
	b := testFile(crypto.SigEdDSASHA512ph, "1", "a", []byte("hello"))
	if f, err := ParseReader(bytes.NewReader(b), int64(len(b))); err != nil || string(f.Content) != "hello" {
		t.Fatalf("ParseReader = %v, %v", f, err)
	}
	if _, err := ParseReader(bytes.NewReader(b), int64(len(b)-1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over cap: err = %v", err)
	}
	if _, err := ParseReader(io.MultiReader(bytes.NewReader(b[:20]), iotestErr{}), 0); err == nil || !strings.HasPrefix(err.Error(), "su3: read") {
		t.Errorf("read error: err = %v", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("boom") }

// TestParseAllocs: Parse allocates the File and two strings, whatever the
// header declares.
func TestParseAllocs(t *testing.T) {
	good := testFile(crypto.SigRSASHA5124096, "1767225600", "zzz@mail.i2p", bytes.Repeat([]byte{1}, 4096))
	huge := patch(good, func(b []byte) []byte { binary.BigEndian.PutUint64(b[offContentLen:], 1<<62); return b })
	for name, b := range map[string][]byte{"good": good, "huge content length": huge} {
		if n := testing.AllocsPerRun(50, func() { Parse(b) }); n > 6 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
