package su3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Header layout (updates.rst, "SU3 File Specification"). All multi-byte
// integers are big-endian; bytes not listed here are unused and written as
// zero. Readers ignore them, as Java I2P and i2pd do.
const (
	// Magic is the first six bytes of every su3 file.
	Magic = "I2Psu3"

	// HeaderLen is the length of the fixed header; the version string
	// starts at this offset.
	HeaderLen = 40

	// MinVersionLen is the smallest allowed version field; shorter
	// version strings are padded with NUL bytes to this length.
	MinVersionLen = 16

	// MaxSize caps the size of an su3 file this package will read. Real
	// reseed bundles are well under 1 MiB; router updates are tens of MiB.
	MaxSize = 128 << 20

	offFormat     = 7  // su3 file format version, must be 0
	offSigType    = 8  // 2 bytes
	offSigLen     = 10 // 2 bytes
	offVersionLen = 13
	offSignerLen  = 15
	offContentLen = 16 // 8 bytes
	offFileType   = 25
	offContent    = 27 // content type
)

// FileType says how the content is encoded (header byte 25). Java I2P
// treats it as advisory and allows any value.
type FileType uint8

// File types defined by updates.rst.
const (
	FileZIP   FileType = 0
	FileXML   FileType = 1 // since 0.9.15
	FileHTML  FileType = 2 // since 0.9.17
	FileXMLGZ FileType = 3 // since 0.9.17
	FileTXTGZ FileType = 4 // since 0.9.28
	FileDMG   FileType = 5 // since 0.9.51
	FileEXE   FileType = 6 // since 0.9.51
)

var fileTypeNames = [...]string{"zip", "xml", "html", "xml.gz", "txt.gz", "dmg", "exe"}

func (t FileType) String() string {
	if int(t) < len(fileTypeNames) {
		return fileTypeNames[t]
	}
	return fmt.Sprintf("FileType(%d)", uint8(t))
}

// ContentType names the trust domain of the content (header byte 27).
type ContentType uint8

// Content types defined by updates.rst. Parse rejects any other value, as
// Java I2P does: an unknown trust domain cannot be checked.
const (
	ContentUnknown      ContentType = 0
	ContentRouterUpdate ContentType = 1
	ContentPlugin       ContentType = 2
	ContentReseed       ContentType = 3
	ContentNews         ContentType = 4 // since 0.9.15
	ContentBlocklist    ContentType = 5 // since 0.9.28
)

var contentTypeNames = [...]string{"unknown", "router", "plugin", "reseed", "news", "blocklist"}

func (t ContentType) String() string {
	if int(t) < len(contentTypeNames) {
		return contentTypeNames[t]
	}
	return fmt.Sprintf("ContentType(%d)", uint8(t))
}

// Errors that callers may test with errors.Is.
var (
	// ErrNotSU3 means the input does not start with Magic.
	ErrNotSU3 = errors.New("su3: not an su3 file")
	// ErrTruncated means the input ends before a length in its header
	// says it should.
	ErrTruncated = errors.New("su3: truncated")
	// ErrTooLarge means the input exceeds MaxSize or the caller's cap.
	ErrTooLarge = errors.New("su3: file too large")
)

// File is a parsed su3 file. Content, Signature and Signed alias the bytes
// given to Parse; they are capped slices, so appending to them never
// overwrites the input. The zero value is not a valid file.
type File struct {
	SigType     crypto.SigType
	FileType    FileType
	ContentType ContentType
	// Version is the version field with its NUL padding removed. For
	// reseed bundles it is the signing time in Unix seconds, in ASCII.
	Version string
	// SignerID names the signer, e.g. "zzz@mail.i2p"; it selects the
	// certificate in a Keyring.
	SignerID  string
	Content   []byte
	Signature []byte
	// Signed is everything the signature covers: bytes 0 through the end
	// of the content.
	Signed []byte
}

// Parse parses an entire su3 file. It checks the magic, format version,
// signature type and length, version and signer lengths, content type and
// that the lengths in the header add up to exactly len(b). It does not
// verify the signature; see Verify.
func Parse(b []byte) (*File, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("su3: %d bytes: %w", len(b), ErrTooLarge)
	}
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return nil, ErrNotSU3
	}
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("su3: header: %d of %d bytes: %w", len(b), HeaderLen, ErrTruncated)
	}
	if v := b[offFormat]; v != 0 {
		return nil, fmt.Errorf("su3: header: unsupported format version %d", v)
	}
	f := &File{
		SigType:     crypto.SigType(binary.BigEndian.Uint16(b[offSigType:])),
		FileType:    FileType(b[offFileType]),
		ContentType: ContentType(b[offContent]),
	}
	sigLen := int(binary.BigEndian.Uint16(b[offSigLen:]))
	if !f.SigType.Known() {
		return nil, fmt.Errorf("su3: header: %w %d", crypto.ErrUnknownSigType, uint16(f.SigType))
	}
	if sigLen != f.SigType.SigLen() {
		return nil, fmt.Errorf("su3: header: signature length %d, want %d for %v", sigLen, f.SigType.SigLen(), f.SigType)
	}
	verLen := int(b[offVersionLen])
	if verLen < MinVersionLen {
		return nil, fmt.Errorf("su3: header: version length %d, want at least %d", verLen, MinVersionLen)
	}
	signerLen := int(b[offSignerLen])
	if signerLen == 0 {
		return nil, errors.New("su3: header: empty signer ID")
	}
	if int(f.ContentType) >= len(contentTypeNames) {
		return nil, fmt.Errorf("su3: header: unknown content type %d", uint8(f.ContentType))
	}

	// Everything but the content has a length known to fit in an int;
	// compare the declared content length against what is left before
	// converting it, so a huge value cannot overflow.
	fixed := HeaderLen + verLen + signerLen + sigLen
	if len(b) < fixed {
		return nil, fmt.Errorf("su3: header: %d bytes, fields need %d: %w", len(b), fixed, ErrTruncated)
	}
	contentLen := binary.BigEndian.Uint64(b[offContentLen:])
	if contentLen == 0 {
		return nil, errors.New("su3: header: empty content")
	}
	if rest := uint64(len(b) - fixed); contentLen > rest {
		return nil, fmt.Errorf("su3: content: length %d, only %d bytes left: %w", contentLen, rest, ErrTruncated)
	} else if contentLen < rest {
		return nil, fmt.Errorf("su3: %d bytes after signature", rest-contentLen)
	}

	off := HeaderLen
	ver := b[off : off+verLen]
	off += verLen
	var err error
	if f.Version, err = versionString(ver); err != nil {
		return nil, err
	}
	signer := b[off : off+signerLen]
	off += signerLen
	if !utf8.Valid(signer) {
		return nil, errors.New("su3: signer ID: not UTF-8")
	}
	f.SignerID = string(signer)
	end := off + int(contentLen)
	f.Content = b[off:end:end]
	f.Signed = b[:end:end]
	f.Signature = b[end:len(b):len(b)]
	return f, nil
}

// versionString strips the NUL padding from a version field. The padding
// must run to the end of the field: Java I2P stops at the first NUL, so
// bytes after it would be signed but never shown.
func versionString(field []byte) (string, error) {
	v := field
	if i := bytes.IndexByte(field, 0); i >= 0 {
		v = field[:i]
		for _, c := range field[i:] {
			if c != 0 {
				return "", errors.New("su3: version: data after NUL padding")
			}
		}
	}
	if !utf8.Valid(v) {
		return "", errors.New("su3: version: not UTF-8")
	}
	return string(v), nil
}

// ParseReader reads an su3 file of at most max bytes from r and parses it.
// A max of zero or less, or above MaxSize, means MaxSize. The buffer grows
// with what r actually yields, never with the lengths in the header.
func ParseReader(r io.Reader, max int64) (*File, error) {
	if max <= 0 || max > MaxSize {
		max = MaxSize
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("su3: read: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("su3: more than %d bytes: %w", max, ErrTooLarge)
	}
	return Parse(b)
}
