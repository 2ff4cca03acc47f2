package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"bytes":    formatBytes,
		"rate":     func(r float64) string { return formatBytes(uint64(math.Max(r, 0))) + "/s" },
		"duration": formatDuration,
		"percent":  formatPercent,
		"until":    func(t, now time.Time) string { return formatDuration(t.Sub(now).Round(time.Second)) },
		"ago":      func(t, now time.Time) string { return formatDuration(now.Sub(t).Round(time.Second)) + " ago" },
		"short":    func(h string) string { return shorten(h, 12) },
		"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"stages":   stagesDone,
		"title":    pageTitle,
		"pool":     func(v view, l []Tunnel) poolView { return poolView{V: v, List: l} },
		"list":     func(s ...string) []string { return s },
	}
}

func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

func formatDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	var out string
	switch {
	case h >= 24:
		out = fmt.Sprintf("%dd %dh", h/24, h%24)
	case h > 0:
		out = fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		out = fmt.Sprintf("%dm %ds", m, s)
	default:
		out = fmt.Sprintf("%ds", s)
	}
	if neg {
		return "-" + out
	}
	return out
}

func formatPercent(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// stagesDone is how many stages are done, as a percentage for the bar.
func stagesDone(st []Stage) int {
	if len(st) == 0 {
		return 0
	}
	n := 0
	for _, s := range st {
		if s.Done {
			n++
		}
	}
	return n * 100 / len(st)
}

func pageTitle(p string) string {
	switch p {
	case "netdb":
		return "NetDB"
	case "i2ptunnels":
		return "I2P tunnels"
	case "addressbook":
		return "Addressbook"
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

// poolView is a table of our tunnels with the page around it.
type poolView struct {
	V    view
	List []Tunnel
}
