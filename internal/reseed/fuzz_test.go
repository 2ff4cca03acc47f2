package reseed

import (
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/su3"
)

// FuzzBundle feeds outside bytes through everything a client does with
// a downloaded bundle: CheckBundle, the zip, and each RouterInfo.
func FuzzBundle(f *testing.F) {
	now := time.Unix(1_780_000_000, 0)
	sg := newSigner(f, "fuzz@mail.i2p", now)
	ris := newRIs(f, 2, now)
	f.Add(sg.bundle(f, ris, now))
	z, err := zipOf(ris, now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(z)
	f.Add([]byte("I2Psu3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, verify := range []bool{false, true} {
			file, err := CheckBundle(b, verify, sg.ring, now, false)
			if err != nil {
				file = &su3.File{ContentType: su3.ContentReseed, FileType: su3.FileZIP, Content: b}
			}
			files, err := file.RouterInfos(0)
			if err != nil {
				continue
			}
			for _, nf := range files {
				ri, err := checkRouterInfo(nf, testNetID)
				if err == nil && ri.NetID() != testNetID {
					t.Fatalf("accepted netid %d", ri.NetID())
				}
			}
		}
	})
}
