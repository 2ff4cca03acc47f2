package su3

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"os"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse and, when they parse, to
// Verify and RouterInfos. Seeds are files from the builder (reseed zip,
// news, RSA-4096, Ed25519ph and P-256 keys) and the sample bundle. Parse must never panic, must
// account for every input byte, and must agree with the builder on
// canonical input; RouterInfos must stay within its limits.
func FuzzParse(f *testing.F) {
	key := readTestKey(f)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	z, err := ReseedZip(sampleFiles(), time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range []*Builder{
		{FileType: FileZIP, ContentType: ContentReseed, Version: sampleVersion, SignerID: testSignerID, Content: z},
		{FileType: FileXMLGZ, ContentType: ContentNews, Version: "0.9.68", SignerID: "zzz@mail.i2p", Content: []byte("\x1f\x8b news")},
		{FileType: FileZIP, ContentType: ContentRouterUpdate, Version: "a-version-longer-than-16", SignerID: "x", Content: []byte{0}},
	} {
		for _, k := range []stdcrypto.Signer{key, ed, p256} {
			raw, err := b.Sign(k)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	if raw, err := os.ReadFile(sampleReseed); err == nil {
		f.Add(raw)
	}
	kr, err := NewKeyring(readTestCert(f))
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := Parse(in)
		if err != nil {
			if file != nil {
				t.Fatal("file and error both returned")
			}
			return
		}
		verLen := int(in[offVersionLen])
		if n := HeaderLen + verLen + len(file.SignerID) + len(file.Content) + len(file.Signature); n != len(in) {
			t.Fatalf("fields add up to %d of %d bytes", n, len(in))
		}
		if len(file.Signature) != file.SigType.SigLen() || len(file.Signed) != len(in)-len(file.Signature) {
			t.Fatalf("signature %d bytes, signed %d", len(file.Signature), len(file.Signed))
		}
		// Canonical input (unused bytes zero, minimal padding) is exactly
		// what the builder writes for the parsed fields.
		b := &Builder{FileType: file.FileType, ContentType: file.ContentType, Version: file.Version, SignerID: file.SignerID, Content: file.Content}
		if canonical(in) && verLen == b.versionLen() {
			if got := b.appendUnsigned(nil, file.SigType); !bytes.Equal(got, file.Signed) {
				t.Fatalf("re-encoded header differs:\n got %x\nwant %x", got[:HeaderLen], file.Signed[:HeaderLen])
			}
		}
		_ = file.Verify(kr, testNow)
		if file.ContentType == ContentReseed && file.FileType == FileZIP {
			ris, err := file.RouterInfos(0)
			if err == nil {
				if len(ris) > MaxZipEntries {
					t.Fatalf("%d entries", len(ris))
				}
				for _, nf := range ris {
					if !IsRouterInfoName(nf.Name) || len(nf.Data) > MaxRouterInfoSize {
						t.Fatalf("entry %q, %d bytes", nf.Name, len(nf.Data))
					}
				}
			}
		}
	})
}

// canonical reports whether every unused header byte is zero.
func canonical(in []byte) bool {
	for _, i := range []int{6, 12, 14, 24, 26} {
		if in[i] != 0 {
			return false
		}
	}
	return binary.BigEndian.Uint64(in[28:36]) == 0 && binary.BigEndian.Uint32(in[36:40]) == 0
}
