package tunnel

import (
	"bytes"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
)

// FuzzEndpoint feeds an Endpoint a sequence of bodies, each a control
// byte then 1024 bytes (zero-filled when short). Control bit 0 fixes the
// checksum, so that the fuzzer reaches the instructions behind it; the
// other bits advance the clock in seconds. The limits are small so that
// eviction and expiry run too.
func FuzzEndpoint(f *testing.F) {
	addBodies := func(bodies ...[i2np.TunnelDataLen]byte) {
		var in []byte
		for i := range bodies {
			in = append(in, byte(i%4)<<1)
			in = append(in, bodies[i][:]...)
		}
		f.Add(in)
	}
	big := bytes.Repeat([]byte{7}, 5000)
	addBodies(gatewayBodies(f, 1, []message{{testDeliveries[2], big}, {testDeliveries[1], big[:300]}, {Delivery{}, big[:30]}})...)
	addBodies(handBody(f, first(1, []byte("ab")), follow(2, 2, true, []byte("c")), follow(1, 1, true, []byte("d"))))
	addBodies(handBody(f, follow(9, 63, true, nil)), handBody(f, first(9, nil)))
	f.Add([]byte{1})

	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := EndpointConfig{MaxMessages: 4, MaxBytes: 8000, Timeout: 10 * time.Second}
		e := NewEndpoint(cfg)
		now := testNow
		var calls uint64
		for len(in) > 0 {
			ctrl := in[0]
			var body [i2np.TunnelDataLen]byte
			in = in[1+copy(body[:], in[1:]):]
			now = now.Add(time.Duration(ctrl>>1) * time.Second)
			if ctrl&1 != 0 {
				if z := bytes.IndexByte(body[ivLen+checksumLen:], 0); z >= 0 {
					var scratch [maxContent + ivLen]byte
					sum := checksum(&body, body[ivLen+checksumLen+z+1:], &scratch)
					copy(body[ivLen:], sum[:])
				}
			}
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
