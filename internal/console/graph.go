package console

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// Graph size in SVG units.
const (
	graphW, graphH = 640, 180
	graphPad       = 64 // left margin for the scale
)

// graph draws the bandwidth history as an SVG image: one line for
// inbound, one for outbound, the scale at the left. Only numbers go into
// it, so there is nothing to escape.
func (s *Server) graph(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, renderGraph(s.rt.History()))
}

func renderGraph(samples []Sample) string {
	top := 1024.0 // at least 1 KiB/s, so an idle router shows flat lines
	for _, x := range samples {
		top = math.Max(top, math.Max(x.RateIn, x.RateOut))
	}
	top = niceCeil(top)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="11">`, graphW, graphH, graphW, graphH)
	fmt.Fprintf(&b, `<rect x="%d" y="0" width="%d" height="%d" fill="#fbfbfd" stroke="#ccd"/>`, graphPad, graphW-graphPad, graphH-20)
	plotH := float64(graphH - 20)
	for i := 0; i <= 4; i++ {
		y := plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e4e4ec"/>`, graphPad, graphW, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#556">%s</text>`, graphPad-4, math.Max(y+4, 10), formatBytes(uint64(top*float64(i)/4))+"/s")
	}
	if len(samples) > 1 {
		span := samples[len(samples)-1].At.Sub(samples[0].At)
		line := func(rate func(Sample) float64, color string) {
			b.WriteString(`<polyline fill="none" stroke-width="2" stroke="` + color + `" points="`)
			for i, x := range samples {
				px := float64(graphPad) + float64(graphW-graphPad)*float64(i)/float64(len(samples)-1)
				py := plotH - plotH*rate(x)/top
				fmt.Fprintf(&b, "%.1f,%.1f ", px, py)
			}
			b.WriteString(`"/>`)
		}
		line(func(x Sample) float64 { return x.RateIn }, "#2a7d2e")
		line(func(x Sample) float64 { return x.RateOut }, "#2452a6")
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#556">last %s</text>`, graphPad, graphH-4, formatDuration(span.Round(time.Second)))
	} else {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#556">collecting samples…</text>`, graphPad+8, graphH/2)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#2a7d2e">■ in</text>`, graphW-60, graphH-4)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#2452a6">■ out</text>`, graphW-8, graphH-4)
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeil rounds v (bytes) up to 1, 2 or 5 times a power of ten of
// the binary unit it is shown in (KiB, MiB, …), so the scale reads well.
func niceCeil(v float64) float64 {
	unit := 1.0
	for v/unit >= 1024 {
		unit *= 1024
	}
	return unit * niceCeil10(v/unit)
}

func niceCeil10(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
