package data

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"strings"
	"testing"
)

// i2pAlphabetFromSpec spells out I2P's Base64 alphabet the way the spec
// describes it (RFC 4648 Base64 with '-' and '~' in place of '+' and '/'),
// built independently of encoding.go's constant.
func i2pAlphabetFromSpec() string {
	var sb strings.Builder
	for c := 'A'; c <= 'Z'; c++ {
		sb.WriteRune(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		sb.WriteRune(c)
	}
	for c := '0'; c <= '9'; c++ {
		sb.WriteRune(c)
	}
	sb.WriteString("-~")
	return sb.String()
}

// TestBase64Alphabet encodes every 6-bit value alone (as the top bits of a
// 3-byte group) and checks the character against the spec's alphabet.
func TestBase64Alphabet(t *testing.T) {
	want := i2pAlphabetFromSpec()
	for v := range 64 {
		// v<<2 puts v in the first sextet of the first byte.
		got := EncodeBase64([]byte{byte(v << 2), 0, 0})
		if got[0] != want[v] {
			t.Errorf("sextet %d encodes as %q, want %q", v, got[0], want[v])
		}
	}
	if strings.ContainsAny(EncodeBase64(bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 10)), "+/") {
		t.Error("encoding uses '+' or '/'")
	}
}

func TestBase64KnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"rfc4648 f", []byte("f"), "Zg=="},
		{"rfc4648 fo", []byte("fo"), "Zm8="},
		{"rfc4648 foo", []byte("foo"), "Zm9v"},
		{"rfc4648 foobar", []byte("foobar"), "Zm9vYmFy"},
		{"index 62 is dash", []byte{0xfb, 0xef, 0xbe}, "----"},
		{"index 63 is tilde", []byte{0xff, 0xff, 0xff}, "~~~~"},
		{"mixed", []byte{0xfb, 0xff}, "-~8="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeBase64(tt.in); got != tt.want {
				t.Fatalf("EncodeBase64(%x) = %q, want %q", tt.in, got, tt.want)
			}
			got, err := DecodeBase64(tt.want)
			if err != nil || !bytes.Equal(got, tt.in) {
				t.Fatalf("DecodeBase64(%q) = %x, %v; want %x", tt.want, got, err, tt.in)
			}
			// Same bytes as RFC 4648 once the two characters are swapped back.
			std := strings.NewReplacer("-", "+", "~", "/").Replace(tt.want)
			if ref, _ := base64.StdEncoding.DecodeString(std); !bytes.Equal(ref, tt.in) {
				t.Fatalf("standard Base64 of %q is %x, want %x", std, ref, tt.in)
			}
		})
	}
}

func TestDecodeBase64(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr bool
	}{
		{"padding missing 2", "Zg", []byte("f"), false},
		{"padding missing 1", "Zm8", []byte("fo"), false},
		{"padded", "Zm8=", []byte("fo"), false},
		{"standard plus rejected", "++++", nil, true},
		{"standard slash rejected", "////", nil, true},
		{"url-safe underscore rejected", "____", nil, true},
		{"one leftover character", "Zm9vY", nil, true},
		{"bad character", "Zm9*", nil, true},
		{"padding in the middle", "Zg==Zg==", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBase64(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeBase64(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !bytes.Equal(got, tt.want) {
				t.Fatalf("DecodeBase64(%q) = %x, want %x", tt.in, got, tt.want)
			}
		})
	}
}

func TestBase32KnownAnswers(t *testing.T) {
	// RFC 4648 section 10 vectors, lowercased and unpadded.
	tests := []struct{ in, want string }{
		{"", ""},
		{"f", "my"},
		{"fo", "mzxq"},
		{"foo", "mzxw6"},
		{"foob", "mzxw6yq"},
		{"fooba", "mzxw6ytb"},
		{"foobar", "mzxw6ytboi"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EncodeBase32([]byte(tt.in)); got != tt.want {
				t.Fatalf("EncodeBase32(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, s := range []string{tt.want, strings.ToUpper(tt.want)} {
				got, err := DecodeBase32(s)
				if err != nil || string(got) != tt.in {
					t.Fatalf("DecodeBase32(%q) = %q, %v; want %q", s, got, err, tt.in)
				}
			}
			ref := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(tt.in))
			if strings.ToLower(ref) != tt.want {
				t.Fatalf("RFC 4648 Base32 is %q, want %q", ref, tt.want)
			}
		})
	}
	// Go's decoder also accepts impossible lengths ("m", "mzx") and unused
	// bits set; ParseB32 and ParseB33 insist on the canonical spelling.
	for _, bad := range []string{"my=", "m1", "m!", "mzxw6ytboi======"} {
		if _, err := DecodeBase32(bad); err == nil {
			t.Errorf("DecodeBase32(%q) succeeded, want error", bad)
		}
	}
}
