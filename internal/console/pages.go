package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// pageNames are the console's pages, each assets/templates/NAME.html
// inside layout.html.
var pageNames = []string{"overview", "peers", "tunnels", "netdb", "destinations", "i2ptunnels", "addressbook", "logs", "config", "shutdown"}

func parsePages(f template.FuncMap) (map[string]*template.Template, error) {
	out := make(map[string]*template.Template, len(pageNames))
	for _, n := range pageNames {
		t, err := template.New("layout.html").Funcs(f).ParseFS(assets, "assets/templates/layout.html", "assets/templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n, err)
		}
		out[n] = t
	}
	return out, nil
}

// view is what every page template gets.
type view struct {
	Root     string
	CSRF     string
	Page     string
	Now      time.Time
	Snap     Snapshot
	Settings Settings
	Saved    bool
	Err      string
	Lookup   *Lookup
	Key, Typ string
	// The I2P tunnels page.
	Msg       string
	Spec      TunnelSpec
	CanManage bool
	// The addressbook page (Key is the search, Typ the book).
	Names  []Name
	Total  int
	Subs   []Subscription
	BookOn bool
	// The log page (Typ is the level shown).
	Logs []LogLine
	// CanRestart shows the restart button, CanGraceful the graceful
	// shutdown one.
	CanRestart, CanGraceful bool
}

func (s *Server) render(w http.ResponseWriter, code int, v view) {
	v.Root, v.CSRF, v.Now, v.CanRestart = s.root, s.csrf, time.Now(), s.restarter() != nil
	_, v.CanGraceful = s.rt.(GracefulStopper)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := s.pages[v.Page].Execute(w, v); err != nil {
		s.log.Debug("console: render", "page", v.Page, "err", err)
	}
}

// page renders a page from a fresh snapshot.
func (s *Server) page(name string, fill func(*view)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		v := view{Page: name, Snap: s.rt.Snapshot()}
		if fill != nil {
			fill(&v)
		}
		s.render(w, http.StatusOK, v)
	}
}

// lookupWait bounds a lookup from the netDb page.
const lookupWait = 10 * time.Second

// netdb shows the netDb, and the result of a lookup when the form was
// sent (GET, with the CSRF token: a lookup makes the router talk to
// floodfills, so other sites must not trigger it).
func (s *Server) netdb(w http.ResponseWriter, req *http.Request) {
	v := view{Page: "netdb", Snap: s.rt.Snapshot(), Typ: "leaseset"}
	if key := strings.TrimSpace(req.FormValue("key")); key != "" {
		v.Key, v.Typ = key, req.FormValue("type")
		if v.Typ != "routerinfo" {
			v.Typ = "leaseset"
		}
		if !s.csrfOK(req) {
			v.Err = "The form's token is missing or stale: send it again from this page."
			s.render(w, http.StatusForbidden, v)
			return
		}
		ctx, cancel := context.WithTimeout(req.Context(), lookupWait)
		l := s.rt.Lookup(ctx, key, v.Typ)
		cancel()
		v.Lookup = &l
	}
	s.render(w, http.StatusOK, v)
}

func (s *Server) config(w http.ResponseWriter, req *http.Request) {
	s.render(w, http.StatusOK, view{Page: "config", Snap: s.rt.Snapshot(), Settings: s.rt.Settings(), Saved: req.FormValue("saved") == "1"})
}

// saveConfig checks and saves the configuration form, then redirects
// back to the page (so a reload does not post again).
func (s *Server) saveConfig(w http.ResponseWriter, req *http.Request) {
	if !s.postOK(w, req) {
		return
	}
	set, err := parseSettings(req)
	if err == nil {
		err = s.rt.SaveSettings(set)
	}
	if err != nil {
		s.render(w, http.StatusBadRequest, view{Page: "config", Snap: s.rt.Snapshot(), Settings: set, Err: err.Error()})
		return
	}
	s.log.Info("console: settings saved", "bandwidth", set.Bandwidth, "share", set.Share, "notransit", set.NoTransit, "floodfill", set.Floodfill)
	http.Redirect(w, req, s.root+"config?saved=1", http.StatusSeeOther)
}

// parseSettings reads the configuration form with i2pd's rules:
// bandwidth is empty, a class letter (K, L, M, N, O, P, X) or KB/s;
// share is 0–100.
func parseSettings(req *http.Request) (Settings, error) {
	set := Settings{
		Bandwidth: strings.ToUpper(strings.TrimSpace(req.PostFormValue("bandwidth"))),
		NoTransit: req.PostFormValue("notransit") != "",
		Floodfill: req.PostFormValue("floodfill") != "",
	}
	share, err := strconv.Atoi(strings.TrimSpace(req.PostFormValue("share")))
	if err != nil || share < 0 || share > 100 {
		return set, fmt.Errorf("share: want a percentage from 0 to 100")
	}
	set.Share = share
	if !ValidBandwidth(set.Bandwidth) {
		return set, fmt.Errorf("bandwidth: want a class letter (K, L, M, N, O, P, X), KB/s (a number) or nothing")
	}
	return set, nil
}

// ValidBandwidth reports whether b is a value of i2pd's bandwidth option.
func ValidBandwidth(b string) bool {
	if b == "" || len(b) == 1 && strings.Contains("KLMNOPX", b) {
		return true
	}
	n, err := strconv.Atoi(b)
	return err == nil && n > 0 && n < 1<<30
}

func (s *Server) shutdown(w http.ResponseWriter, req *http.Request) {
	if !s.postOK(w, req) {
		return
	}
	if g, ok := s.rt.(GracefulStopper); ok && req.PostFormValue("graceful") != "" {
		s.log.Warn("console: graceful shutdown requested")
		g.ShutdownGraceful()
		s.render(w, http.StatusOK, view{Page: "shutdown", Snap: s.rt.Snapshot(), Msg: "graceful"})
		return
	}
	s.log.Warn("console: shutdown requested")
	s.rt.Shutdown()
	s.render(w, http.StatusOK, view{Page: "shutdown", Snap: s.rt.Snapshot()})
}

func (s *Server) apiStatus(w http.ResponseWriter, req *http.Request) {
	writeJSON(w, s.rt.Snapshot())
}

func (s *Server) apiHistory(w http.ResponseWriter, req *http.Request) {
	writeJSON(w, s.rt.History())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
