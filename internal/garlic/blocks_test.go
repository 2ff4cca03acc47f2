package garlic

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

func bytesN(t *rapid.T, label string, lo, hi int) []byte {
	return rapid.SliceOfN(rapid.Byte(), lo, hi).Draw(t, label)
}

func genDelivery(t *rapid.T) Delivery {
	d := Delivery{Type: DeliveryType(rapid.IntRange(0, 3).Draw(t, "delivery"))}
	if d.Type != DeliverLocal {
		d.To = data.Hash(bytesN(t, "to", 32, 32))
	}
	if d.Type == DeliverTunnel {
		d.Tunnel = data.TunnelID(rapid.Uint32Range(1, 0xffffffff).Draw(t, "tunnel"))
	}
	return d
}

func genClove(t *rapid.T) Clove {
	return Clove{Delivery: genDelivery(t), Clove: i2np.Clove{
		Header: i2np.Header{
			Type:       rapid.Uint8().Draw(t, "i2np type"),
			ID:         rapid.Uint32().Draw(t, "id"),
			Expiration: time.Unix(int64(rapid.Uint32Range(1, 0xffffffff).Draw(t, "exp")), 0),
		},
		Payload: bytesN(t, "payload", 0, 300),
	}}
}

func genBlock(t *rapid.T) Block {
	switch rapid.IntRange(0, 9).Draw(t, "kind") {
	case 0:
		return DateTime{Time: time.Unix(int64(rapid.Uint32().Draw(t, "time")), 0)}
	case 1:
		return Termination{Reason: rapid.Byte().Draw(t, "reason"), Data: bytesN(t, "data", 0, 10)}
	case 2:
		return Options{Version: rapid.Byte().Draw(t, "v"), Timeout: rapid.Uint16().Draw(t, "to"),
			RMax: rapid.Byte().Draw(t, "rmax"), RDelay: rapid.Uint16().Draw(t, "rd"), More: bytesN(t, "more", 0, 5)}
	case 3:
		return MessageNumbers{PN: rapid.Uint16().Draw(t, "pn")}
	case 4:
		k := NextKey{KeyID: rapid.Uint16Range(0, maxKeyID).Draw(t, "keyid"), HasKey: rapid.Bool().Draw(t, "haskey")}
		if k.Reverse = rapid.Bool().Draw(t, "rev"); !k.Reverse {
			k.RequestReverse = rapid.Bool().Draw(t, "req")
		}
		if k.HasKey {
			k.Key = [32]byte(bytesN(t, "key", 32, 32))
		}
		return k
	case 5:
		ids := make([]AckID, rapid.IntRange(1, 5).Draw(t, "acks"))
		for i := range ids {
			ids[i] = AckID{rapid.Uint16().Draw(t, "ts"), rapid.Uint16().Draw(t, "n")}
		}
		return Ack{IDs: ids}
	case 6:
		return AckRequest{Flags: rapid.Byte().Draw(t, "flags")}
	case 7:
		return genClove(t)
	case 8:
		return Padding{N: rapid.IntRange(0, 40).Draw(t, "pad")}
	}
	return Unknown{Type: rapid.SampledFrom([]uint8{1, 2, 3, 10, 12, 224, 255}).Draw(t, "utype"), Data: bytesN(t, "udata", 0, 10)}
}

// normalize maps parsed blocks to what the encoder was given: nil and
// empty slices compare equal.
func normalize(blocks []Block) []Block {
	out := make([]Block, len(blocks))
	for i, b := range blocks {
		switch v := b.(type) {
		case Termination:
			if len(v.Data) == 0 {
				v.Data = nil
			}
			b = v
		case Options:
			if len(v.More) == 0 {
				v.More = nil
			}
			b = v
		case Clove:
			if len(v.Payload) == 0 {
				v.Payload = nil
			}
			b = v
		case Unknown:
			if len(v.Data) == 0 {
				v.Data = nil
			}
			b = v
		}
		out[i] = b
	}
	return out
}

func TestBlocksRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		blocks := rapid.SliceOfN(rapid.Custom(genBlock), 0, 8).Draw(t, "blocks")
		b, err := AppendBlocks(nil, blocks...)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != BlocksLen(blocks...) {
			t.Fatalf("encoded %d bytes, BlocksLen %d", len(b), BlocksLen(blocks...))
		}
		got, err := ParseBlocks(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(blocks)) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", got, blocks)
		}
	})
}

// TestBlockTruncated: every strict prefix of one block's encoding fails.
func TestBlockTruncated(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		blk := genBlock(t)
		b, err := AppendBlocks(nil, blk)
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n < len(b); n++ {
			if _, err := ParseBlocks(b[:n]); !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix %d of %d: err %v", n, len(b), err)
			}
		}
	})
}

func TestParseBlocksInvalid(t *testing.T) {
	hash := bytes.Repeat([]byte{7}, 32)
	cases := map[string][]byte{
		"datetime short":      {0, 0, 3, 1, 2, 3},
		"datetime long":       {0, 0, 5, 1, 2, 3, 4, 5},
		"termination empty":   {4, 0, 0},
		"options short":       append([]byte{5, 0, 20}, make([]byte, 20)...),
		"msgnum short":        {6, 0, 1, 0},
		"nextkey 4":           {7, 0, 4, 0, 0, 0, 0},
		"nextkey flag no key": {7, 0, 3, 1, 0, 0},
		"nextkey key no flag": append([]byte{7, 0, 35, 0, 0, 0}, hash...),
		"nextkey id":          {7, 0, 3, 0, 0x80, 0},
		"nextkey rev+req":     {7, 0, 3, 6, 0, 0},
		"ack empty":           {8, 0, 0},
		"ack 5":               {8, 0, 5, 0, 0, 0, 0, 0},
		"ackreq empty":        {9, 0, 0},
		"ackreq long":         {9, 0, 2, 0, 0},
		"clove empty":         {11, 0, 0},
		"clove encrypted":     append([]byte{11, 0, 10, 0x80}, make([]byte, 9)...),
		"clove delay":         append([]byte{11, 0, 10, 0x10}, make([]byte, 9)...),
		"clove no header":     {11, 0, 5, 0, 1, 2, 3, 4},
		"clove tunnel 0":      append(append([]byte{11, 0, 46, 0x60}, hash...), make([]byte, 13)...),
		"clove router short":  append([]byte{11, 0, 20, 0x40}, hash[:19]...),
		"header only":         {11, 0},
		"size past end":       {254, 0, 4, 0, 0},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if blocks, err := ParseBlocks(b); err == nil {
				t.Fatalf("parsed %#v", blocks)
			}
		})
	}
	if _, err := ParseBlocks(make([]byte, MaxPayload+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized payload: %v", err)
	}
}

func TestAppendBlocksInvalid(t *testing.T) {
	for name, blk := range map[string]Block{
		"keyid":          NextKey{KeyID: maxKeyID + 1},
		"ack empty":      Ack{},
		"padding huge":   Padding{N: maxBlockData + 1},
		"padding neg":    Padding{N: -1},
		"tunnel 0":       Clove{Delivery: Delivery{Type: DeliverTunnel}},
		"delivery type":  Clove{Delivery: Delivery{Type: 4}},
		"unknown known":  Unknown{Type: BlockPadding},
		"clove too long": Clove{Clove: i2np.Clove{Payload: make([]byte, maxBlockData)}},
	} {
		if _, err := AppendBlocks(nil, blk); err == nil {
			t.Errorf("%s: appended", name)
		}
	}
}

func TestCloveWire(t *testing.T) {
	// A TUNNEL clove: flag 0x60, gateway hash, then tunnel ID (the reverse
	// of tunnel delivery instructions), then the 9-byte short header.
	var gw data.Hash
	gw[0], gw[31] = 0xaa, 0xbb
	c := Clove{Delivery: Delivery{Type: DeliverTunnel, To: gw, Tunnel: 0x01020304},
		Clove: i2np.Clove{Header: i2np.Header{Type: 20, ID: 0x0a0b0c0d, Expiration: time.Unix(0x11223344, 0)}, Payload: []byte{9}}}
	b, err := AppendBlocks(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{11, 0, 47, 0x60}, gw[:]...)
	want = append(want, 1, 2, 3, 4, 20, 0x0a, 0x0b, 0x0c, 0x0d, 0x11, 0x22, 0x33, 0x44, 9)
	if !bytes.Equal(b, want) {
		t.Fatalf("got  %x\nwant %x", b, want)
	}
	for _, d := range []Delivery{{Type: DeliverLocal}, {Type: DeliverDestination, To: gw}, {Type: DeliverRouter, To: gw}} {
		if n := len(d.appendTo(nil)); n != d.Len() || n != map[DeliveryType]int{0: 1, 1: 33, 2: 33}[d.Type] {
			t.Errorf("%v delivery: %d bytes, Len %d", d.Type, n, d.Len())
		}
	}
}

func TestCheckOrder(t *testing.T) {
	dt, clove, pad := DateTime{}, Clove{}, Padding{N: 1}
	cases := []struct {
		name   string
		kind   msgKind
		blocks []Block
		ok     bool
	}{
		{"ns minimal", kindNS, []Block{dt}, true},
		{"ns full", kindNS, []Block{dt, clove, Options{}, Unknown{Type: 3}, pad}, true},
		{"ns empty", kindNS, nil, false},
		{"ns no datetime", kindNS, []Block{clove}, false},
		{"ns two datetimes", kindNS, []Block{dt, dt}, false},
		{"ns nextkey", kindNS, []Block{dt, NextKey{}}, false},
		{"ns ack", kindNS, []Block{dt, Ack{}}, false},
		{"ns termination", kindNS, []Block{dt, Termination{}}, false},
		{"nsr empty", kindNSR, nil, true},
		{"nsr clove", kindNSR, []Block{clove, pad}, true},
		{"nsr ackrequest", kindNSR, []Block{AckRequest{}}, false},
		{"es all", kindES, []Block{clove, Ack{}, AckRequest{}, NextKey{}, NextKey{}, MessageNumbers{}, Termination{}, pad}, true},
		{"es padding first", kindES, []Block{pad, clove}, false},
		{"es two paddings", kindES, []Block{pad, pad}, false},
		{"es termination mid", kindES, []Block{Termination{}, clove}, false},
		{"es three nextkeys", kindES, []Block{NextKey{}, NextKey{}, NextKey{}}, false},
	}
	for _, c := range cases {
		if err := checkOrder(c.kind, c.blocks); (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
		}
	}
}

// FuzzParseBlocks: whatever parses re-encodes to the same bytes (padding
// content aside) and parses again to the same blocks.
func FuzzParseBlocks(f *testing.F) {
	seeds := [][]Block{
		{DateTime{Time: time.Unix(1700000000, 0)}, Padding{N: 3}},
		{Clove{Delivery: Delivery{Type: DeliverDestination, To: data.Hash{1}}, Clove: i2np.Clove{Header: i2np.Header{Type: 20, ID: 5}, Payload: []byte("hello")}}},
		{Clove{Delivery: Delivery{Type: DeliverTunnel, To: data.Hash{2}, Tunnel: 7}}, Ack{IDs: []AckID{{1, 2}}}, AckRequest{}},
		{NextKey{HasKey: true, RequestReverse: true, KeyID: 1, Key: [32]byte{3}}, NextKey{Reverse: true}, MessageNumbers{PN: 9}, Termination{Reason: 1}},
		{Options{TagLen: 8, More: []byte{1}}, Unknown{Type: 224, Data: []byte{1, 2}}},
	}
	for _, s := range seeds {
		b, err := AppendBlocks(nil, s...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, err := ParseBlocks(b)
		if err != nil {
			return
		}
		re, err := AppendBlocks(nil, blocks...)
		if err != nil {
			t.Fatalf("parsed blocks do not encode: %v", err)
		}
		if len(re) != len(b) || BlocksLen(blocks...) != len(b) {
			t.Fatalf("re-encoded %d bytes, parsed %d", len(re), len(b))
		}
		again, err := ParseBlocks(re)
		if err != nil || !reflect.DeepEqual(normalize(again), normalize(blocks)) {
			t.Fatalf("second parse: %v\n%#v\n%#v", err, again, blocks)
		}
		for _, order := range []msgKind{kindNS, kindNSR, kindES} {
			_ = checkOrder(order, blocks)
		}
	})
}
