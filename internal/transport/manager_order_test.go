package transport

import (
	"context"
	"testing"

	"github.com/veil-i2p/veil/internal/data"
)

// named is a Transport that only has a name.
type named string

func (n named) Name() string                                            { return string(n) }
func (n named) Run(context.Context) error                               { return nil }
func (n named) CanDial(*data.RouterInfo) bool                           { return true }
func (n named) Dial(context.Context, *data.RouterInfo) (Session, error) { return nil, ErrNoTransport }

func TestDialOrder(t *testing.T) {
	addr := func(style string, cost uint8, host string) data.RouterAddress {
		a := data.RouterAddress{Transport: style, Cost: cost}
		if host != "" {
			a.Options.Set("host", host)
		}
		return a
	}
	for _, tc := range []struct {
		name  string
		addrs []data.RouterAddress
		want  string
	}{
		{"i2pd publishes both", []data.RouterAddress{addr("SSU2", 8, "198.18.0.1"), addr("NTCP2", 3, "198.18.0.1")}, "NTCP2 SSU2 OTHER"},
		{"SSU2 cheaper", []data.RouterAddress{addr("NTCP2", 11, "198.18.0.1"), addr("SSU", 5, "198.18.0.1")}, "SSU2 NTCP2 OTHER"},
		{"unpublished NTCP2", []data.RouterAddress{addr("NTCP2", 3, ""), addr("SSU2", 8, "198.18.0.1")}, "SSU2 NTCP2 OTHER"},
		{"nothing", nil, "NTCP2 SSU2 OTHER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trs := []Transport{named("NTCP2"), named("SSU2"), named("OTHER")}
			dialOrder(trs, &data.RouterInfo{Addresses: tc.addrs})
			got := ""
			for i, tr := range trs {
				if i > 0 {
					got += " "
				}
				got += tr.Name()
			}
			if got != tc.want {
				t.Fatalf("order %q, want %q", got, tc.want)
			}
		})
	}
}
