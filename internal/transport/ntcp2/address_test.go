package ntcp2

import (
	"testing"

	"github.com/veil-i2p/veil/internal/data"
)

func TestDialAddrs(t *testing.T) {
	id := newIdentity(t, riOptions{})
	s, iv := data.EncodeBase64(id.Static.Public[:]), data.EncodeBase64(id.Static.Extra)
	mk := func(transport string, cost uint8, opts map[string]string) data.RouterAddress {
		return data.RouterAddress{Transport: transport, Cost: cost, Options: data.NewMapping(opts)}
	}
	full := func(host, port string) map[string]string {
		return map[string]string{"host": host, "port": port, "s": s, "i": iv, "v": "2"}
	}
	ri := &data.RouterInfo{Addresses: []data.RouterAddress{
		mk("NTCP2", 5, full("2001:db8::1", "7000")),
		mk("NTCP2", 5, full("198.18.0.1", "7001")),
		mk("NTCP2", 3, full("198.18.0.2", "7002")),
		mk("NTCP", 9, map[string]string{"host": "198.18.0.3", "port": "7003", "s": s, "i": iv, "v": "1,2"}),
		mk("NTCP", 1, map[string]string{"host": "198.18.0.4", "port": "7004"}), // NTCP1 only
		mk("SSU2", 1, full("198.18.0.5", "7005")),
		mk("NTCP2", 1, full("example.com", "7006")),         // names are not resolved
		mk("NTCP2", 1, full("198.18.0.7", "0")),             // no port
		mk("NTCP2", 1, map[string]string{"s": s, "v": "2"}), // unpublished
		mk("NTCP2", 1, map[string]string{"host": "198.18.0.9", "port": "7009", "s": "short", "i": iv, "v": "2"}),
		mk("NTCP2", 1, map[string]string{"host": "198.18.0.10", "port": "7010", "s": s, "i": iv, "v": "3"}),
	}}
	var got []string
	for _, a := range dialAddrs(ri, true, true) {
		got = append(got, a.ap.String())
	}
	want := []string{"198.18.0.2:7002", "198.18.0.1:7001", "[2001:db8::1]:7000", "198.18.0.3:7003"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if n := len(dialAddrs(ri, false, true)); n != 1 {
		t.Fatalf("IPv6 only: %d addresses", n)
	}
	if !hasStaticKey(ri, id.Static.Public[:]) {
		t.Fatal("static key not found")
	}
	var other [32]byte
	if hasStaticKey(ri, other[:]) {
		t.Fatal("foreign static key found")
	}
}
