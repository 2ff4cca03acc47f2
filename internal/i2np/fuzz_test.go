package i2np

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// seeds encodes a few generated messages of type typ.
func seeds(f *testing.F, typ uint8) {
	for i := range 4 {
		m := rapid.Custom(genMessage).Filter(func(m Message) bool { return m.MessageType() == typ }).Example(i)
		p, err := AppendPayload(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Add([]byte{})
}

// fuzzParser checks parse on fuzz input: no panic, and whatever parses
// re-encodes to a value that parses back equal; strict parsers must also
// give back the very same bytes unless ignored bits were set.
func fuzzParser(f *testing.F, typ uint8, sameBytes func(b []byte) bool) {
	seeds(f, typ)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParsePayload(typ, b)
		if err != nil {
			if m != nil {
				t.Fatal("message with error")
			}
			return
		}
		again, err := AppendPayload(nil, m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		g, err := ParsePayload(typ, again)
		if err != nil || !reflect.DeepEqual(g, m) {
			t.Fatalf("re-parse: %v", err)
		}
		if sameBytes(b) && !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x from %x", again, b)
		}
	})
}

func always([]byte) bool { return true }

func FuzzParseDatabaseLookup(f *testing.F) {
	fuzzParser(f, TypeDatabaseLookup, func(b []byte) bool { return b[64]&0xe0 == 0 })
}
func FuzzParseDatabaseSearchReply(f *testing.F) { fuzzParser(f, TypeDatabaseSearchReply, always) }
func FuzzParseGarlic(f *testing.F)              { fuzzParser(f, TypeGarlic, always) }
func FuzzParseData(f *testing.F)                { fuzzParser(f, TypeData, always) }
func FuzzParseTunnelData(f *testing.F)          { fuzzParser(f, TypeTunnelData, always) }
func FuzzParseTunnelGateway(f *testing.F)       { fuzzParser(f, TypeTunnelGateway, always) }
func FuzzParseTunnelBuild(f *testing.F)         { fuzzParser(f, TypeTunnelBuild, always) }
func FuzzParseTunnelBuildReply(f *testing.F)    { fuzzParser(f, TypeTunnelBuildReply, always) }
func FuzzParseVariableTunnelBuild(f *testing.F) { fuzzParser(f, TypeVariableTunnelBuild, always) }
func FuzzParseVariableTunnelBuildReply(f *testing.F) {
	fuzzParser(f, TypeVariableTunnelBuildReply, always)
}
func FuzzParseShortTunnelBuild(f *testing.F) { fuzzParser(f, TypeShortTunnelBuild, always) }
func FuzzParseOutboundTunnelBuildReply(f *testing.F) {
	fuzzParser(f, TypeOutboundTunnelBuildReply, always)
}

// FuzzParse drives the dispatcher with either header: what parses
// re-encodes to the same bytes, except for the parts the codecs
// normalise (a RouterInfo's gzip, DatabaseStore and DatabaseLookup flag
// bits that are ignored).
func FuzzParse(f *testing.F) {
	for i := range 16 {
		m := rapid.Custom(genMessage).Example(i)
		for _, short := range []bool{false, true} {
			b, err := AppendMessage(nil, Header{ID: uint32(i), Expiration: time.UnixMilli(1e12)}, m, short)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, short)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, short bool) {
		h, m, err := Parse(b, short)
		if err != nil {
			return
		}
		again, err := AppendMessage(nil, h, m, short)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		switch m := m.(type) {
		case *DatabaseStore:
			if m.Type == StoreRouterInfo || b[len(b)-len(m.Data)-1-36*btoi(m.ReplyToken != 0)-4]&0xf0 != 0 {
				return
			}
		case *DatabaseLookup:
			return // flag bits 7-5; FuzzParseDatabaseLookup covers the rest
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x from %x", again, b)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
