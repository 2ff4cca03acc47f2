package i2pdtest

import (
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The testdata pages are i2pd 2.45.1's console of a floodfill (r1 of
// interop's TestNTCP2PrivateNetwork): one outgoing NTCP2 session, and
// incoming ones from veil (198.18.0.200) and another i2pd.

func TestParseTransports(t *testing.T) {
	page, err := os.ReadFile("testdata/transports-2.45.1.html")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseTransports(string(page))
	if err != nil {
		t.Fatal(err)
	}
	want := []ConsoleSession{
		{Transport: "NTCP2", Peer: "Gx3o", Remote: netip.MustParseAddrPort("198.18.0.13:20000"), Outgoing: true, Sent: 147758, Received: 140311},
		{Transport: "NTCP2", Peer: "bXB0", Remote: netip.MustParseAddrPort("198.18.0.200:55168"), Sent: 9376, Received: 504},
		{Transport: "NTCP2", Peer: "yg49", Remote: netip.MustParseAddrPort("198.18.0.11:60197"), Sent: 4603, Received: 10313},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if !got[1].Matches("bXB0"+strings.Repeat("A", 40), netip.MustParseAddr("198.18.0.200")) ||
		got[1].Matches("bXB1"+strings.Repeat("A", 40), netip.MustParseAddr("198.18.0.200")) ||
		got[1].Matches("bXB0"+strings.Repeat("A", 40), netip.MustParseAddr("198.18.0.11")) {
		t.Error("Matches must compare the hash prefix and the address")
	}
}

func TestParseTransportsSections(t *testing.T) {
	const v6 = `<b>Transports:</b><br>
<div class='slide'><label for='slide_ssu2'><b>SSU2</b> ( 1 )</label>
<input type="checkbox" id="slide_ssu2" />
<div class="slidecontent list"><div class="listitem">
 &#8658; KpX9: 198.18.0.13:20030 [2709:3710] [itag:7] [queue:2]</div>
</div></div>
<div class='slide'><label for='slide_ssu2v6'><b>SSU2v6</b> ( 1 )</label>
<input type="checkbox" id="slide_ssu2v6" />
<div class="slidecontent list"><div class="listitem">
ab~-: [2001:db8::1]:4444 &#8658;  [1:2]</div>
</div></div>`
	got, err := ParseTransports(v6)
	if err != nil {
		t.Fatal(err)
	}
	want := []ConsoleSession{
		{Transport: "SSU2", Peer: "KpX9", Remote: netip.MustParseAddrPort("198.18.0.13:20030"), Outgoing: true, Sent: 2709, Received: 3710},
		{Transport: "SSU2v6", Peer: "ab~-", Remote: netip.MustParseAddrPort("[2001:db8::1]:4444"), Sent: 1, Received: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if got, err := ParseTransports("<b>Transports:</b><br>\r\n"); err != nil || len(got) != 0 {
		t.Errorf("no sessions: %v, %v", got, err)
	}
	for name, page := range map[string]string{
		"count":      strings.Replace(v6, "( 1 )", "( 2 )", 1),
		"no arrow":   strings.Replace(v6, " &#8658; KpX9", " KpX9", 1),
		"two arrows": strings.Replace(v6, "[2709:3710]", "&#8658; [2709:3710]", 1),
		"bad ip":     strings.Replace(v6, "198.18.0.13", "198.18.0.300", 1),
	} {
		if _, err := ParseTransports(page); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestParseNetDbCounts(t *testing.T) {
	page, err := os.ReadFile("testdata/main-2.45.1.html")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseNetDbCounts(string(page))
	if want := (NetDbCounts{Routers: 4, Floodfills: 2}); err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if _, err := ParseNetDbCounts("<b>Routers:</b> x"); err == nil {
		t.Error("parsed a page without counts")
	}
}
