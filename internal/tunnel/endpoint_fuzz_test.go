package tunnel

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
)

// fuzzContent returns what follows the zero byte of a valid body.
func fuzzContent(b *[i2np.TunnelDataLen]byte) []byte {
	z := bytes.IndexByte(b[ivLen+checksumLen:], 0)
	return b[ivLen+checksumLen+z+1:]
}

// FuzzEndpoint feeds an Endpoint a sequence of bodies. Each is a control
// byte, a 2-byte length n and n bytes (fewer if the input ends first).
// Control bit 1 clear: the bytes are the content after the padding (cut
// to the 1003 that fit), with the checksum fixed when bit 0 is set, so the
// fuzzer reaches the instructions behind it; bit 1 set: the bytes are the
// raw 1008 bytes after the IV. The other bits advance the clock in
// seconds. The limits are small so that eviction and expiry run too.
func FuzzEndpoint(f *testing.F) {
	addBodies := func(bodies ...[i2np.TunnelDataLen]byte) {
		var in []byte
		for i := range bodies {
			c := fuzzContent(&bodies[i])
			in = append(in, byte(i%4)<<2|1)
			in = binary.BigEndian.AppendUint16(in, uint16(len(c)))
			in = append(in, c...)
		}
		f.Add(in)
	}
	big := bytes.Repeat([]byte{7}, 5000)
	addBodies(gatewayBodies(f, 1, []message{{testDeliveries[2], big}, {testDeliveries[1], big[:300]}, {Delivery{}, big[:30]}})...)
	addBodies(handBody(f, first(1, []byte("ab")), follow(2, 2, true, []byte("c")), follow(1, 1, true, []byte("d"))))
	addBodies(handBody(f, follow(9, 63, true, nil)), handBody(f, first(9, nil)))
	f.Add([]byte{2, 0, 1, 0})
	f.Add([]byte{1})

	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := EndpointConfig{MaxMessages: 4, MaxBytes: 8000, Timeout: 10 * time.Second}
		e := NewEndpoint(cfg)
		now := testNow
		var calls uint64
		for len(in) >= 3 {
			ctrl, n := in[0], int(binary.BigEndian.Uint16(in[1:]))
			in = in[3:]
			c := in[:min(n, len(in))]
			in = in[len(c):]
			now = now.Add(time.Duration(ctrl>>2) * time.Second)

			body := fuzzBody(ctrl, c)
			orig := body
			calls++
			_ = e.Receive(&body, now, func(d Delivery, msg []byte) {
				if d.Type > DeliveryRouter || len(msg) > (MaxFragmentNumber+1)*maxContent {
					t.Fatalf("delivered %v, %d bytes", d, len(msg))
				}
			})
			if body != orig {
				t.Fatal("Receive changed the body")
			}
			if n, b := e.Partial(); n > cfg.MaxMessages || b > cfg.MaxBytes || b < 0 {
				t.Fatalf("%d partial messages, %d bytes", n, b)
			}
		}
		if st := e.Stats(); st.Received != calls || st.Rejected > calls {
			t.Fatalf("stats %+v after %d bodies", st, calls)
		}
	})
}

// fuzzBody is a tunnel message body (at an endpoint, after the layers)
// made from fuzz bytes c as the control byte ctrl says: bit 1 set, c is
// the 1008 bytes after the IV; clear, c is the content after the padding
// (cut to the 1003 bytes that fit), with the checksum fixed when bit 0 is
// set.
func fuzzBody(ctrl byte, c []byte) (body [i2np.TunnelDataLen]byte) {
	copy(body[:ivLen], seq(1, ivLen))
	if ctrl&2 != 0 {
		copy(body[ivLen:], c)
		return body
	}
	c = c[:min(len(c), maxContent)]
	zero := i2np.TunnelDataLen - len(c) - 1
	for i := ivLen + checksumLen; i < zero; i++ {
		body[i] = 0xff
	}
	copy(body[zero+1:], c)
	if ctrl&1 != 0 {
		var scratch [maxContent + ivLen]byte
		sum := checksum(&body, c, &scratch)
		copy(body[ivLen:], sum[:])
	}
	return body
}
