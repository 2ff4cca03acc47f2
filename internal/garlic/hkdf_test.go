package garlic

import (
	"bytes"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

// TestHKDF checks the fixed-buffer HKDF against crypto.HKDF (RFC 5869) for
// every label and input length the ratchet uses.
func TestHKDF(t *testing.T) {
	var salt [32]byte
	for i := range salt {
		salt[i] = byte(i * 7)
	}
	labels := []string{"", infoDHRatchetStep, infoTagAndKeyGen, infoSTInit, infoTagGen, infoSymmRatchet,
		infoXDHTagSet, infoReplyTags, infoAttachPayload}
	for _, info := range labels {
		for _, ikm := range [][]byte{nil, bytes.Repeat([]byte{0xa5}, 32)} {
			a, b := hkdf2(&salt, ikm, info)
			want := crypto.HKDF(salt[:], ikm, info, 64)
			if !bytes.Equal(append(a[:], b[:]...), want) {
				t.Errorf("hkdf2(%q, %d-byte ikm) differs", info, len(ikm))
			}
			if k := hkdf32(&salt, ikm, info); !bytes.Equal(k[:], want[:32]) {
				t.Errorf("hkdf32(%q, %d-byte ikm) differs", info, len(ikm))
			}
		}
	}
}

func BenchmarkHKDF(b *testing.B) {
	var salt, ikm [32]byte
	b.ReportAllocs()
	for b.Loop() {
		salt, ikm = hkdf2(&salt, ikm[:], infoTagGen)
	}
}
