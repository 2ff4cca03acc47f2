package client

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// The stored-block reader takes what it can check and leaves the rest to
// compress/gzip: a bad CRC is still an error, a member with a file name
// (another writer's) or deflated blocks is still read.
func TestStoredPayload(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), MaxPayload/16) // two stored blocks
	b, _ := AppendPayload(nil, Payload{Protocol: ProtoStreaming, Data: data})
	if got, ok := readStoredPayload(b); !ok || !bytes.Equal(got, data) {
		t.Fatalf("stored payload not read by the fast path: %v", ok)
	}
	bad := bytes.Clone(b)
	bad[len(bad)-8] ^= 1 // CRC
	if _, err := ParsePayload(bad); err == nil {
		t.Error("bad CRC accepted")
	}
	var named bytes.Buffer
	w, _ := gzip.NewWriterLevel(&named, gzip.NoCompression)
	w.Name = "x"
	w.Write(data)
	w.Close()
	if got, err := ParsePayload(named.Bytes()); err != nil || !bytes.Equal(got.Data, data) {
		t.Fatalf("gzip member with a name: %v", err)
	}
	empty, _ := AppendPayload(nil, Payload{})
	if got, err := ParsePayload(empty); err != nil || got.Data == nil || len(got.Data) != 0 {
		t.Fatalf("empty payload: %q %v", got.Data, err)
	}
}
