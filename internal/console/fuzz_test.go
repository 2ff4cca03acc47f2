package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzSettingsForm: any configuration form is either refused or gives
// settings that WriteSettings accepts, and writing them into any file
// text leaves each key set once before the first section.
func FuzzSettingsForm(f *testing.F) {
	f.Add("P", "50", "on", "", "loglevel = info\n[http]\nport = 1\n")
	f.Add("12345", "0", "", "on", "")
	f.Add("Q", "101", "", "", "share = 3\nshare = 4\n")
	f.Add("x\n[s]", "-1", "", "", "[a]\nb=c")
	f.Fuzz(func(t *testing.T, bw, share, notransit, floodfill, text string) {
		form := url.Values{"bandwidth": {bw}, "share": {share}, "notransit": {notransit}, "floodfill": {floodfill}}
		req, err := http.NewRequest("POST", "/config", strings.NewReader(form.Encode()))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s, err := parseSettings(req)
		if err != nil {
			return
		}
		if !ValidBandwidth(s.Bandwidth) || s.Share < 0 || s.Share > 100 || strings.ContainsAny(s.Bandwidth, "\n[#=") {
			t.Fatalf("accepted %+v", s)
		}
		out := setTopLevel(text, []kv{{"bandwidth", s.Bandwidth}, {"share", share}})
		top, _, _ := strings.Cut("\n"+out, "\n[")
		for _, k := range []string{"bandwidth", "share"} {
			n := 0
			for _, l := range strings.Split(top, "\n") {
				if key, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(key) == k {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s set %d times in:\n%s", k, n, out)
			}
		}
	})
}
