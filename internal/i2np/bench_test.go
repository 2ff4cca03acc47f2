package i2np

import (
	"testing"
	"time"
)

func BenchmarkParseStandard(b *testing.B) {
	msg, _ := AppendStandard(nil, Header{Type: TypeTunnelData, ID: 1, Expiration: time.UnixMilli(1e12)}, make([]byte, 1028))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, _, _, err := ParseStandard(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseShortHeader(b *testing.B) {
	msg := append(AppendShortHeader(nil, Header{Type: TypeTunnelData, ID: 1, Expiration: time.Unix(1e9, 0)}), make([]byte, 1028)...)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseShortHeader(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDatabaseStore(b *testing.B) {
	msg, _ := NewRouterInfoStore(i2pdRouterInfo(b), 0, [32]byte{}).Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDatabaseStore(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTunnelData(b *testing.B) {
	msg, _ := TunnelData{TunnelID: 7, Data: new([TunnelDataLen]byte)}.Append(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := ParseTunnelData(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTunnelDataMessage is the receive path from NTCP2: short
// header, dispatch, body. The one allocation is the Message interface's
// *TunnelData.
func BenchmarkParseTunnelDataMessage(b *testing.B) {
	msg, _ := AppendMessage(nil, Header{ID: 1, Expiration: time.Unix(1e9, 0)}, &TunnelData{TunnelID: 7, Data: new([TunnelDataLen]byte)}, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, _, err := Parse(msg, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendTunnelDataMessage(b *testing.B) {
	m := &TunnelData{TunnelID: 7, Data: new([TunnelDataLen]byte)}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AppendMessage(buf[:0], Header{ID: 1}, m, false); err != nil {
			b.Fatal(err)
		}
	}
}
