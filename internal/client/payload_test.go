package client

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestPayloadRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 1000, MaxPayload} {
		p := Payload{Protocol: ProtoRaw, SrcPort: 1234, DstPort: 0xfedc, Data: bytes.Repeat([]byte{7}, n)}
		b, err := AppendPayload(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		// A standard gzip reader takes it, and the header fields are where
		// i2cp.html puts them, ports big-endian as i2pd 2.45 reads them.
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(plain, p.Data) || b[4] != 0x04 || b[5] != 0xd2 || b[6] != 0xfe || b[7] != 0xdc || b[8] != 2 || b[9] != ProtoRaw {
			t.Fatalf("n=%d: %v, header % x", n, err, b[:10])
		}
		got, err := ParsePayload(b)
		if err != nil || got.Protocol != p.Protocol || got.SrcPort != p.SrcPort || got.DstPort != p.DstPort || !bytes.Equal(got.Data, p.Data) {
			t.Fatalf("n=%d: %+v %v", n, got.Protocol, err)
		}
	}
	// gzip = true: deflated, and still read back.
	z, err := AppendPayload(nil, Payload{Protocol: ProtoDatagram, Data: bytes.Repeat([]byte("abc"), 1000), Compress: true})
	if err != nil || len(z) > 200 {
		t.Fatalf("compressed payload of %d bytes, %v", len(z), err)
	}
	if got, err := ParsePayload(z); err != nil || !bytes.Equal(got.Data, bytes.Repeat([]byte("abc"), 1000)) {
		t.Fatalf("compressed payload: %v", err)
	}
	if _, err := AppendPayload(nil, Payload{Data: make([]byte, MaxPayload+1)}); err == nil {
		t.Fatal("oversized payload written")
	}
	// A gzip bomb is refused at MaxPayload.
	var bomb bytes.Buffer
	w := gzip.NewWriter(&bomb)
	w.Write(make([]byte, 4*MaxPayload))
	w.Close()
	if _, err := ParsePayload(bomb.Bytes()); err == nil {
		t.Fatal("payload inflating past the limit accepted")
	}
}

func FuzzParsePayload(f *testing.F) {
	b, _ := AppendPayload(nil, Payload{Protocol: ProtoDatagram, SrcPort: 1, DstPort: 2, Data: []byte("hello")})
	f.Add(b)
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 2, 18})
	f.Fuzz(func(t *testing.T, b []byte) { ParsePayload(b) })
}
