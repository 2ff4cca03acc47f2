package ssu2

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

// Block codec of SSU2 payloads (ssu2.rst, "Noise Payload", "Block
// Specifications"). The framing, the ordering rules and the blocks SSU2
// shares with NTCP2 (DateTime, I2NP, Termination, Padding) are package
// transport's; the SSU2-only blocks are here. Encoders append to a
// caller's buffer; decoders check sizes, never read past the data they
// are given, and return errors wrapping ErrPayloadFormat.

// ErrPayloadFormat is wrapped by every block parse error (termination
// reason 10, "payload format error").
var ErrPayloadFormat = transport.ErrPayloadFormat

// parseBlocks walks payload's blocks (transport.WalkBlocks with SSU2's
// Termination type).
func parseBlocks(payload []byte, fn func(typ uint8, data []byte) error) error {
	return transport.WalkBlocks(payload, blockTermination, fn)
}

// appendAddress appends an Address block: port, then 4 or 16 address
// bytes ("Address").
func appendAddress(b []byte, ap netip.AddrPort) []byte {
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		a := ip.As4()
		b = transport.AppendBlockHeader(b, blockAddress, 6)
		b = binary.BigEndian.AppendUint16(b, ap.Port())
		return append(b, a[:]...)
	}
	a := ip.As16()
	b = transport.AppendBlockHeader(b, blockAddress, 18)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	return append(b, a[:]...)
}

// appendRouterInfoBlock appends a RouterInfo block: flag (flood, gzip),
// frag (always "0 of 1"), the RouterInfo as signed or gzipped.
func appendRouterInfoBlock(b, ri []byte, flood, gzipped bool) []byte {
	var flag byte
	if flood {
		flag |= routerInfoFlood
	}
	if gzipped {
		flag |= routerInfoGzip
	}
	b = transport.AppendBlockHeader(b, blockRouterInfo, 2+len(ri))
	b = append(b, flag, 0x01)
	return append(b, ri...)
}

// appendFirstFragment appends a First Fragment block: the short header
// and part, the start of m's body.
func appendFirstFragment(b []byte, m *transport.Message, part []byte) []byte {
	b = transport.AppendBlockHeader(b, blockFirstFragment, i2npHeaderLen+len(part))
	b = transport.AppendShortI2NPHeader(b, m)
	return append(b, part...)
}

// appendFollowOn appends a Follow-on Fragment block ("Follow-on
// Fragment"): frag = number<<1 | last, then the message id.
func appendFollowOn(b []byte, msgID uint32, num int, last bool, part []byte) []byte {
	frag := byte(num << 1)
	if last {
		frag |= 1
	}
	b = transport.AppendBlockHeader(b, blockFollowOnFragment, followOnHeaderLen+len(part))
	b = append(b, frag)
	b = binary.BigEndian.AppendUint32(b, msgID)
	return append(b, part...)
}

// appendNewToken appends a New Token block: expiry (seconds) and token.
func appendNewToken(b []byte, expires time.Time, token uint64) []byte {
	b = transport.AppendBlockHeader(b, blockNewToken, newTokenLen)
	b = binary.BigEndian.AppendUint32(b, uint32(expires.Unix()))
	return binary.BigEndian.AppendUint64(b, token)
}

// appendPath appends a Path Challenge or Path Response block.
func appendPath(b []byte, typ uint8, data []byte) []byte {
	b = transport.AppendBlockHeader(b, typ, len(data))
	return append(b, data...)
}

// parseAddress decodes an Address block (6 or 18 bytes).
func parseAddress(d []byte) (netip.AddrPort, error) {
	var ip netip.Addr
	switch len(d) {
	case 6:
		ip = netip.AddrFrom4([4]byte(d[2:6]))
	case 18:
		ip = netip.AddrFrom16([16]byte(d[2:18])).Unmap()
	default:
		return netip.AddrPort{}, transport.FormatError("Address block of %d bytes", len(d))
	}
	return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(d)), nil
}

// routerInfoBlock is a decoded RouterInfo block; ri aliases the payload
// unless it was gunzipped.
type routerInfoBlock struct {
	ri    []byte
	flood bool
}

// maxRouterInfoLen bounds a RouterInfo we accept, gzipped or not (i2pd
// 2.45.1: MAX_RI_BUFFER_SIZE, 3072; a RouterInfo that large is rare).
const maxRouterInfoLen = 4096

// parseRouterInfoBlock decodes a RouterInfo block, gunzipping a
// compressed one into at most maxRouterInfoLen bytes.
func parseRouterInfoBlock(d []byte) (routerInfoBlock, error) {
	if len(d) < 2 {
		return routerInfoBlock{}, transport.FormatError("RouterInfo block of %d bytes", len(d))
	}
	flag, frag := d[0], d[1]
	if frag != 0x01 {
		return routerInfoBlock{}, transport.FormatError("RouterInfo block fragment %#02x, want 0 of 1", frag)
	}
	b := routerInfoBlock{ri: d[2:], flood: flag&routerInfoFlood != 0}
	if flag&routerInfoGzip != 0 {
		ri, err := gunzip(d[2:], maxRouterInfoLen)
		if err != nil {
			return routerInfoBlock{}, transport.FormatError("RouterInfo block: %v", err)
		}
		b.ri = ri
	}
	if len(b.ri) > maxRouterInfoLen {
		return routerInfoBlock{}, transport.FormatError("RouterInfo of %d bytes", len(b.ri))
	}
	return b, nil
}

// gzipRouterInfo compresses ri for a RouterInfo block.
func gzipRouterInfo(ri []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never fails
	w.Write(ri)
	w.Close()
	return buf.Bytes()
}

// gunzip inflates z, refusing output above limit bytes.
func gunzip(z []byte, limit int) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, fmt.Errorf("inflates past %d bytes", limit)
	}
	return out, nil
}

// followOn is a decoded Follow-on Fragment block; part aliases the data.
type followOn struct {
	msgID uint32
	num   int
	last  bool
	part  []byte
}

func parseFollowOn(d []byte) (followOn, error) {
	if len(d) <= followOnHeaderLen {
		return followOn{}, transport.FormatError("Follow-on Fragment block of %d bytes", len(d))
	}
	f := followOn{msgID: binary.BigEndian.Uint32(d[1:]), num: int(d[0] >> 1), last: d[0]&1 != 0, part: d[followOnHeaderLen:]}
	if f.num == 0 {
		return followOn{}, transport.FormatError("Follow-on Fragment number 0")
	}
	return f, nil
}

func parseNewToken(d []byte) (expires uint32, token uint64, err error) {
	if len(d) != newTokenLen {
		return 0, 0, transport.FormatError("New Token block of %d bytes", len(d))
	}
	return binary.BigEndian.Uint32(d), binary.BigEndian.Uint64(d[4:]), nil
}
