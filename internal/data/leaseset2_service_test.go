package data

import (
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

func TestParseServiceRecords(t *testing.T) {
	b := "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.b32.i2p"
	c := "cccccccccccccccccccccccccccccccccccccccccccc.b32.i2p"
	tests := []struct {
		name, value string
		want        []ServiceRecord
	}{
		// The examples of common-structures.rst, LeaseSet2 "Options".
		{"one server", "1 86400 0 0 25 " + b,
			[]ServiceRecord{{TTL: 86400, Port: 25, Target: b}}},
		{"two servers, spec example without the second marker", "1 86400 0 0 25 " + b + ",86400 1 0 25 " + c,
			[]ServiceRecord{{TTL: 86400, Port: 25, Target: b}, {TTL: 86400, Priority: 1, Port: 25, Target: c}}},
		{"two servers, grammar form", "1 86400 0 0 25 " + b + ",1 86400 1 0 25 " + c,
			[]ServiceRecord{{TTL: 86400, Port: 25, Target: b}, {TTL: 86400, Priority: 1, Port: 25, Target: c}}},
		{"self", "0 999999 25", []ServiceRecord{{Self: true, TTL: 999999, Port: 25}}},
		{"app options", "1 86400 0 0 25 smtp.postman.i2p example@mail.i2p",
			[]ServiceRecord{{TTL: 86400, Port: 25, Target: "smtp.postman.i2p", AppOptions: "example@mail.i2p"}}},
		{"self with app options", "0 86400 80 x=y", []ServiceRecord{{Self: true, TTL: 86400, Port: 80, AppOptions: "x=y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseServiceRecords(tc.value)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{
		"", "2 86400 25", "0 0 25", "0 86400", "0 86400 25 a b", "1 86400 0 0 25",
		"1 86400 0 0 70000 x.i2p", "0 86400 25,1 86400 0 0 25 x.i2p", "1 -1 0 0 25 x.i2p",
		"1 86400 0 0 25 x.i2p a b", "1 86400 0 0 25 ",
	} {
		if got, err := ParseServiceRecords(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, got)
		}
	}
}

func TestServiceRecordsRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var recs []ServiceRecord
		if rapid.Bool().Draw(rt, "self") {
			recs = append(recs, ServiceRecord{Self: true, TTL: rapid.Uint32Min(1).Draw(rt, "ttl"), Port: rapid.Uint16().Draw(rt, "port"),
				AppOptions: rapid.StringMatching(`[a-z=@.]{0,8}`).Draw(rt, "app")})
		} else {
			for range rapid.IntRange(1, 4).Draw(rt, "n") {
				recs = append(recs, ServiceRecord{
					TTL: rapid.Uint32Min(1).Draw(rt, "ttl"), Priority: rapid.Uint16().Draw(rt, "prio"),
					Weight: rapid.Uint16().Draw(rt, "weight"), Port: rapid.Uint16().Draw(rt, "port"),
					Target:     rapid.StringMatching(`[a-z0-9.-]{1,20}`).Draw(rt, "target"),
					AppOptions: rapid.StringMatching(`[a-z=@.]{0,8}`).Draw(rt, "app"),
				})
			}
		}
		v, err := FormatServiceRecords(recs)
		if err != nil {
			rt.Fatal(err)
		}
		got, err := ParseServiceRecords(v)
		if err != nil || !reflect.DeepEqual(got, recs) {
			rt.Fatalf("%q: got %+v %v, want %+v", v, got, err, recs)
		}
	})
	if _, err := FormatServiceRecords([]ServiceRecord{{Self: true, TTL: 1}, {TTL: 1, Target: "x"}}); err == nil {
		t.Error("self among others formatted")
	}
	if _, err := FormatServiceRecords([]ServiceRecord{{TTL: 1, Target: "a b"}}); err == nil {
		t.Error("target with a space formatted")
	}
}
