package su3

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits on a reseed bundle's zip (updates.rst, "SU3 Reseed File
// Specification"). Bundles carry 75–100 RouterInfos of 1–2 KiB; Java I2P
// takes at most 1000 from one bundle.
const (
	// MaxZipEntries caps the entries in the zip, routerInfo or not.
	MaxZipEntries = 1000
	// MaxRouterInfoSize caps one decompressed entry.
	MaxRouterInfoSize = 64 << 10
	// maxRouterInfosTotal caps all decompressed entries together.
	maxRouterInfosTotal = 16 << 20

	routerInfoPrefix = "routerInfo-"
	routerInfoSuffix = ".dat"
	routerInfoB64Len = 44 // I2P base64 of a 32-byte hash
)

// centralDirSig starts every zip central directory header.
var centralDirSig = []byte("PK\x01\x02")

// NamedFile is one file from a zip.
type NamedFile struct {
	Name string
	Data []byte
}

// RouterInfos unpacks a reseed bundle: f must have content type reseed and
// file type zip. It returns the entries named routerInfo-<44 I2P base64
// characters>.dat, at most max of them (max ≤ 0 or above MaxZipEntries
// means MaxZipEntries), in zip order, and skips entries with other names,
// as Java I2P does. It fails on a zip with more than MaxZipEntries entries,
// duplicate names, an entry over MaxRouterInfoSize decompressed, or a bad
// checksum. The RouterInfos themselves are not parsed or verified.
func (f *File) RouterInfos(max int) ([]NamedFile, error) {
	if f.ContentType != ContentReseed || f.FileType != FileZIP {
		return nil, fmt.Errorf("su3: zip: content is %v/%v, want reseed/zip", f.ContentType, f.FileType)
	}
	if max <= 0 || max > MaxZipEntries {
		max = MaxZipEntries
	}
	// archive/zip reads central directory headers until they stop, not
	// up to the count in the end record, and keeps a *zip.File for each.
	// Every header starts with centralDirSig, so counting that sequence
	// bounds the work before archive/zip allocates anything.
	if n := bytes.Count(f.Content, centralDirSig); n > MaxZipEntries {
		return nil, fmt.Errorf("su3: zip: more than %d entries", MaxZipEntries)
	}
	zr, err := zip.NewReader(bytes.NewReader(f.Content), int64(len(f.Content)))
	if errors.Is(err, zip.ErrInsecurePath) && zr != nil {
		err = nil // only exact top-level routerInfo names are used
	}
	if err != nil {
		return nil, fmt.Errorf("su3: zip: %w", err)
	}
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("su3: zip: %d entries, more than %d", len(zr.File), MaxZipEntries)
	}
	var out []NamedFile
	seen := make(map[string]bool, len(zr.File))
	total := 0
	for _, zf := range zr.File {
		if seen[zf.Name] {
			return nil, fmt.Errorf("su3: zip: duplicate entry %q", zf.Name)
		}
		seen[zf.Name] = true
		if !IsRouterInfoName(zf.Name) || len(out) == max {
			continue
		}
		b, err := readEntry(zf)
		if err != nil {
			return nil, err
		}
		if total += len(b); total > maxRouterInfosTotal {
			return nil, fmt.Errorf("su3: zip: more than %d bytes decompressed", maxRouterInfosTotal)
		}
		out = append(out, NamedFile{Name: zf.Name, Data: b})
	}
	return out, nil
}

// readEntry decompresses one entry of at most MaxRouterInfoSize bytes. The
// declared size is checked first, and the read is capped anyway, since the
// declared size may lie. Reading to EOF makes archive/zip check the CRC.
func readEntry(zf *zip.File) ([]byte, error) {
	if zf.UncompressedSize64 > MaxRouterInfoSize {
		return nil, fmt.Errorf("su3: zip: %s: %d bytes, more than %d", zf.Name, zf.UncompressedSize64, MaxRouterInfoSize)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("su3: zip: %s: %w", zf.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxRouterInfoSize+1))
	if err != nil {
		return nil, fmt.Errorf("su3: zip: %s: %w", zf.Name, err)
	}
	if len(b) > MaxRouterInfoSize {
		return nil, fmt.Errorf("su3: zip: %s: more than %d bytes", zf.Name, MaxRouterInfoSize)
	}
	return b, nil
}

// IsRouterInfoName reports whether name is a reseed entry name:
// "routerInfo-" + 44 characters of I2P base64 (A–Z a–z 0–9 - ~, "=" only
// as the final padding) + ".dat", with no directory.
func IsRouterInfoName(name string) bool {
	b64, ok := strings.CutPrefix(name, routerInfoPrefix)
	if !ok {
		return false
	}
	if b64, ok = strings.CutSuffix(b64, routerInfoSuffix); !ok || len(b64) != routerInfoB64Len {
		return false
	}
	// 32 bytes encode to 43 characters and one "=".
	if b64[routerInfoB64Len-1] != '=' {
		return false
	}
	for i := 0; i < routerInfoB64Len-1; i++ {
		c := b64[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '~') {
			return false
		}
	}
	return true
}

// ReseedZip builds the zip content of a reseed bundle from RouterInfo
// files, deflated, all with modification time mod (use a fixed time for
// reproducible output). Names must satisfy IsRouterInfoName and be unique;
// there may be at most MaxZipEntries files of at most MaxRouterInfoSize
// bytes each.
func ReseedZip(files []NamedFile, mod time.Time) ([]byte, error) {
	if len(files) == 0 || len(files) > MaxZipEntries {
		return nil, fmt.Errorf("su3: zip: %d files, want 1 to %d", len(files), MaxZipEntries)
	}
	seen := make(map[string]bool, len(files))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, nf := range files {
		if !IsRouterInfoName(nf.Name) {
			return nil, fmt.Errorf("su3: zip: bad entry name %q", nf.Name)
		}
		if seen[nf.Name] {
			return nil, fmt.Errorf("su3: zip: duplicate entry %q", nf.Name)
		}
		seen[nf.Name] = true
		if len(nf.Data) > MaxRouterInfoSize {
			return nil, fmt.Errorf("su3: zip: %s: %d bytes, more than %d", nf.Name, len(nf.Data), MaxRouterInfoSize)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: nf.Name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			return nil, fmt.Errorf("su3: zip: %w", err)
		}
		if _, err := w.Write(nf.Data); err != nil {
			return nil, fmt.Errorf("su3: zip: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("su3: zip: %w", err)
	}
	return buf.Bytes(), nil
}
