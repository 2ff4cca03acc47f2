// Package ack is SSU2's acknowledgement machinery as pure state, with no
// I/O, goroutines or clocks of its own (time is passed in):
//
//   - the ACK block's data, encoded from and decoded to ranges of packet
//     numbers (ssu2.rst, "Ack");
//   - Tracker, the receiver's record of which packet numbers arrived,
//     bounded in ranges and depth ("Sending ACK Blocks", "ACK Block
//     Size");
//   - RTT, the round-trip estimator and retransmission timeout of RFC
//     6298, as "Congestion Control" asks.
//
// Nothing here is safe for concurrent use: each value belongs to the
// goroutine that runs its session.
package ack

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Range is the packet numbers Lo through Hi, inclusive.
type Range struct{ Lo, Hi uint32 }

// Len is how many packet numbers r holds.
func (r Range) Len() uint64 { return uint64(r.Hi) - uint64(r.Lo) + 1 }

// MinLen is the smallest ACK block data: ack through(4) and acnt(1).
const MinLen = 5

// ErrFormat is wrapped by Parse errors.
var ErrFormat = errors.New("ack: malformed ACK block")

// Append appends the data of an ACK block for ranges to b, using at most
// max bytes (at least MinLen). ranges must be sorted from the highest
// packet numbers down, disjoint and not adjacent, as Tracker keeps them;
// the first range gives "ack through". Ranges that do not fit are left
// out, oldest first, which the spec allows ("ACK Block Size"). It returns
// b unchanged if ranges is empty or max < MinLen.
//
// Encoding: ack through = the first range's Hi, acnt = how many below it
// are acked too (at most 255; the rest follows as (0, n) pairs); then per
// gap a (nack, ack) byte pair, with runs over 255 split into (255, 0) and
// (0, n) pairs.
func Append(b []byte, ranges []Range, max int) []byte {
	if len(ranges) == 0 || max < MinLen {
		return b
	}
	first := ranges[0]
	b = binary.BigEndian.AppendUint32(b, first.Hi)
	below := uint64(first.Hi - first.Lo) // acked below ack through
	acnt := min(below, 255)
	b = append(b, byte(acnt))
	room := (max - MinLen) / 2 // pairs that fit
	b, room = appendAcks(b, below-acnt, room)
	prevLo := first.Lo
	for _, r := range ranges[1:] {
		if r.Hi >= prevLo || r.Lo > r.Hi {
			break // not sorted as promised: stop rather than lie
		}
		gap, acks := uint64(prevLo-r.Hi-1), r.Len()
		if pairsFor(gap, acks) > room {
			break
		}
		for gap > 255 {
			b = append(b, 255, 0)
			gap -= 255
			room--
		}
		n := min(acks, 255)
		b = append(b, byte(gap), byte(n))
		room--
		b, room = appendAcks(b, acks-n, room)
		prevLo = r.Lo
	}
	return b
}

// appendAcks continues an acked run by n more packets as (0, k) pairs,
// within room pairs.
func appendAcks(b []byte, n uint64, room int) ([]byte, int) {
	for n > 0 && room > 0 {
		k := min(n, 255)
		b = append(b, 0, byte(k))
		n -= k
		room--
	}
	return b, room
}

// pairsFor counts the pairs one range needs after a gap: (255, 0) pairs
// while the gap exceeds 255, one (gap, ack) pair, then (0, n) pairs.
func pairsFor(gap, acks uint64) int {
	p := 1
	for gap > 255 {
		gap -= 255
		p++
	}
	acks -= min(acks, 255)
	return p + int((acks+254)/255)
}

// Parse decodes an ACK block's data into ranges, highest first, merging
// runs that touch, and appends them to dst. A run that would go below
// packet number 0 is cut there and ends the block: what the peer
// acknowledges above is still true. Only a block shorter than MinLen or
// with an odd number of range bytes is an error.
func Parse(d []byte, dst []Range) ([]Range, error) {
	if len(d) < MinLen {
		return dst, fmt.Errorf("%w: %d bytes", ErrFormat, len(d))
	}
	if (len(d)-MinLen)%2 != 0 {
		return dst, fmt.Errorf("%w: %d range bytes", ErrFormat, len(d)-MinLen)
	}
	hi := int64(binary.BigEndian.Uint32(d))
	cur := Range{Lo: uint32(max(hi-int64(d[4]), 0)), Hi: uint32(hi)}
	pos := int64(cur.Lo) // lowest packet number described so far
	for p := d[MinLen:]; len(p) >= 2 && pos > 0; p = p[2:] {
		pos -= int64(p[0]) // nacked
		if p[1] == 0 {
			continue
		}
		runHi, runLo := pos-1, max(pos-int64(p[1]), 0)
		if runHi < 0 {
			break
		}
		if uint64(cur.Lo) == uint64(runHi)+1 {
			cur.Lo = uint32(runLo)
		} else {
			dst = append(dst, cur)
			cur = Range{Lo: uint32(runLo), Hi: uint32(runHi)}
		}
		pos = runLo
	}
	return append(dst, cur), nil
}
