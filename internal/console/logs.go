package console

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The log page shows the router's recent log lines, kept in a LogRing
// that a slog.Handler (LogRing.Handler) fills beside the router's own log
// output.

// LogLine is one kept log record.
type LogLine struct {
	Time    time.Time
	Level   string
	Message string
	Attrs   string // key=value pairs, as slog's text handler writes them
}

// LogRing keeps the last log lines. The zero value keeps nothing; use
// NewLogRing. Safe for concurrent use.
type LogRing struct {
	mu    sync.Mutex
	lines ring[LogLine]
}

// NewLogRing keeps the last n lines.
func NewLogRing(n int) *LogRing { return &LogRing{lines: newRing[LogLine](n)} }

func (r *LogRing) add(l LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines.add(l)
}

// Lines returns the kept lines, newest first.
func (r *LogRing) Lines() []LogLine {
	r.mu.Lock()
	out := r.lines.items()
	r.mu.Unlock()
	slices.Reverse(out)
	return out
}

// Handler returns a handler that keeps records of level min and above
// in r and passes every record next takes on to it.
func (r *LogRing) Handler(next slog.Handler, min slog.Level) slog.Handler {
	return &ringHandler{next: next, ring: r, min: min}
}

type ringHandler struct {
	next   slog.Handler
	ring   *LogRing
	min    slog.Level
	prefix string // attributes and groups from With, formatted
	group  string // open group prefix for later attributes ("g.")
}

func (h *ringHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min || h.next.Enabled(ctx, l)
}

func (h *ringHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= h.min {
		var b strings.Builder
		b.WriteString(h.prefix)
		rec.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.group, a)
			return true
		})
		h.ring.add(LogLine{Time: rec.Time, Level: rec.Level.String(), Message: rec.Message, Attrs: strings.TrimSpace(b.String())})
	}
	if h.next.Enabled(ctx, rec.Level) {
		return h.next.Handle(ctx, rec)
	}
	return nil
}

func (h *ringHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	return &ringHandler{next: h.next.WithAttrs(as), ring: h.ring, min: h.min, prefix: b.String(), group: h.group}
}

func (h *ringHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &ringHandler{next: h.next.WithGroup(name), ring: h.ring, min: h.min, prefix: h.prefix, group: h.group + name + "."}
}

// appendAttr writes " key=value", quoting values with spaces or quotes.
func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, x := range a.Value.Group() {
			appendAttr(b, g, x)
		}
		return
	}
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \"=\n\t") {
		v = strconv.Quote(v)
	}
	b.WriteString(" " + group + a.Key + "=" + v)
}

// Logs is what a Router offers when it keeps recent log lines.
type Logs interface {
	RecentLogs() []LogLine
}

// logsPage renders GET /logs?level=.
func (s *Server) logsPage(w http.ResponseWriter, req *http.Request) {
	v := view{Page: "logs", Snap: s.rt.Snapshot(), Typ: req.FormValue("level")}
	if l, ok := s.rt.(Logs); ok {
		for _, x := range l.RecentLogs() {
			if v.Typ == "" || x.Level == v.Typ {
				v.Logs = append(v.Logs, x)
			}
		}
	} else {
		v.Err = "This router keeps no log lines for the console."
	}
	s.render(w, http.StatusOK, v)
}

// GracefulStopper is what a Router offers when it can shut down as
// i2pd's graceful shutdown does: no new transit tunnels, stop when those
// carried have ended.
type GracefulStopper interface {
	ShutdownGraceful()
}

// Restarter is what a Router offers when it can restart itself (the
// process stays, the router starts again from its configuration files).
type Restarter interface {
	CanRestart() bool
	Restart()
}

func (s *Server) restarter() Restarter {
	if r, ok := s.rt.(Restarter); ok && r.CanRestart() {
		return r
	}
	return nil
}

// restart handles POST /restart.
func (s *Server) restart(w http.ResponseWriter, req *http.Request) {
	if !s.postOK(w, req) {
		return
	}
	r := s.restarter()
	if r == nil {
		http.Error(w, "console: this router cannot restart itself", http.StatusNotImplemented)
		return
	}
	s.log.Warn("console: restart requested")
	r.Restart()
	s.render(w, http.StatusOK, view{Page: "shutdown", Snap: s.rt.Snapshot(), Msg: "restart"})
}
