package ntcp2

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

type parsedBlock struct {
	typ  uint8
	data []byte
}

func collectBlocks(p []byte) ([]parsedBlock, error) {
	var out []parsedBlock
	err := parseBlocks(p, func(typ uint8, d []byte) error {
		out = append(out, parsedBlock{typ, d})
		return nil
	})
	return out, err
}

func samplePayload() []byte {
	m := &transport.Message{Type: 19, ID: 0xdeadbeef, Expiration: time.Unix(1700000000, 0), Payload: []byte("payload")}
	p := appendDateTime(nil, 1700000000)
	p = appendBlock(p, blockOptions, make([]byte, 12))
	p = appendRouterInfo(p, []byte("not really a RouterInfo"), true)
	p = appendI2NP(p, m)
	p = appendI2NP(p, &transport.Message{Type: 1, Expiration: time.Unix(5, 0)})
	p = appendBlock(p, 224, []byte("experimental"))
	p = appendTermination(p, 42, transport.ReasonIdleTimeout)
	return appendPadding(p, 9)
}

func TestBlocksRoundTrip(t *testing.T) {
	p := samplePayload()
	blocks, err := collectBlocks(p)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []uint8{blockDateTime, blockOptions, blockRouterInfo, blockI2NP, blockI2NP, 224, blockTermination, blockPadding}
	if len(blocks) != len(wantTypes) {
		t.Fatalf("%d blocks", len(blocks))
	}
	var re []byte
	for i, b := range blocks {
		if b.typ != wantTypes[i] {
			t.Fatalf("block %d type %d", i, b.typ)
		}
		re = appendBlock(re, b.typ, b.data)
	}
	if !bytes.Equal(re, p) {
		t.Fatal("re-encoding differs")
	}
	if ts, err := parseDateTime(blocks[0].data); err != nil || ts != 1700000000 {
		t.Fatalf("DateTime %d %v", ts, err)
	}
	if ri, flood, err := parseRouterInfoBlock(blocks[2].data); err != nil || !flood || string(ri) != "not really a RouterInfo" {
		t.Fatalf("RouterInfo %q %v %v", ri, flood, err)
	}
	m, err := parseI2NP(blocks[3].data)
	if err != nil || m.Type != 19 || m.ID != 0xdeadbeef || m.Expiration.Unix() != 1700000000 || string(m.Payload) != "payload" {
		t.Fatalf("I2NP %+v %v", m, err)
	}
	if n, r, err := parseTermination(blocks[6].data); err != nil || n != 42 || r != transport.ReasonIdleTimeout {
		t.Fatalf("Termination %d %d %v", n, r, err)
	}
	// Every prefix either ends on a block boundary (and parses to fewer
	// blocks) or is rejected.
	bounds := map[int]bool{0: true}
	off := 0
	for _, b := range blocks {
		off += blockHeaderLen + len(b.data)
		bounds[off] = true
	}
	for i := 0; i < len(p); i++ {
		_, err := collectBlocks(p[:i])
		if bounds[i] != (err == nil) {
			t.Fatalf("prefix %d: err %v", i, err)
		}
		if err != nil && !errors.Is(err, ErrPayloadFormat) {
			t.Fatalf("prefix %d: %v is not a format error", i, err)
		}
	}
}

func TestBlockOrdering(t *testing.T) {
	dt := appendDateTime(nil, 1)
	pad := appendPadding(nil, 1)
	term := appendTermination(nil, 0, 0)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, tc := range []struct {
		name string
		p    []byte
		ok   bool
	}{
		{"empty", nil, true},
		{"padding only", pad, true},
		{"padding last", cat(dt, pad), true},
		{"padding first", cat(pad, dt), false},
		{"two paddings", cat(pad, pad), false},
		{"termination then padding", cat(dt, term, pad), true},
		{"termination then data", cat(term, dt), false},
		{"lone type byte", []byte{blockPadding}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := collectBlocks(tc.p); (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestConfirmedPayload(t *testing.T) {
	ri := appendRouterInfo(nil, []byte("ri"), false)
	opts := appendBlock(nil, blockOptions, make([]byte, 12))
	pad := appendPadding(nil, 3)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, tc := range []struct {
		name string
		p    []byte
		ok   bool
	}{
		{"RouterInfo", ri, true},
		{"RouterInfo options padding", cat(ri, opts, pad), true},
		{"RouterInfo padding", cat(ri, pad), true},
		{"empty", nil, false},
		{"options first", cat(opts, ri), false},
		{"two RouterInfos", cat(ri, ri), false},
		{"DateTime", cat(ri, appendDateTime(nil, 1)), false},
		{"options twice", cat(ri, opts, opts), false},
		{"I2NP", cat(ri, appendBlock(nil, blockI2NP, make([]byte, 9))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := parseConfirmedPayload(tc.p)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if err == nil && string(got) != "ri" {
				t.Fatalf("RouterInfo %q", got)
			}
		})
	}
}

func TestOptionsBlocks(t *testing.T) {
	r := requestOptions{NetID: 99, Version: 2, PadLen: 0x1234, M3P2Len: 0xfedc, TsA: 0x89abcdef}
	b := r.marshal()
	want := []byte{99, 2, 0x12, 0x34, 0xfe, 0xdc, 0, 0, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0}
	if !bytes.Equal(b[:], want) || parseRequestOptions(b[:]) != r {
		t.Fatalf("request options %x", b)
	}
	c := createdOptions{PadLen: 0x0102, TsB: 0x01020304}
	cb := c.marshal()
	if !bytes.Equal(cb[:], []byte{0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0}) || parseCreatedOptions(cb[:]) != c {
		t.Fatalf("created options %x", cb)
	}
}

func TestSkew(t *testing.T) {
	now := time.Unix(1700000000, 400e6)
	for _, tc := range []struct {
		ts   uint32
		want int64
	}{{1700000000, 0}, {1700000073, 73}, {1699999940, -60}} {
		if got := skewOf(tc.ts, now); got != tc.want {
			t.Errorf("skewOf(%d) = %d, want %d", tc.ts, got, tc.want)
		}
	}
	if unixSeconds(time.Unix(10, 500e6)) != 11 || unixSeconds(time.Unix(10, 499e6)) != 10 {
		t.Error("timestamps are not rounded to the nearest second")
	}
	// Across the 2106 wrap.
	if got := skewOf(5, time.Unix(1<<32-5, 0)); got != 10 {
		t.Errorf("wrapped skew %d", got)
	}
}
