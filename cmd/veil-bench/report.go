package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/veil-i2p/veil/internal/atomicfile"
)

// write saves the results as <date>.json, <date>.md and
// <date>-ratios.png in dir (and the same as latest.*), and returns the
// files written.
func (r results) write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	stem := strings.NewReplacer(":", "", "T", "-").Replace(r.Date[:16])
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, name := range []string{stem, "latest"} {
		for ext, b := range map[string][]byte{".json": append(js, '\n'), ".md": []byte(r.markdown())} {
			p := filepath.Join(dir, name+ext)
			if err := atomicfile.Write(p, b, 0o644); err != nil {
				return files, err
			}
			files = append(files, p)
		}
		png := filepath.Join(dir, name+"-ratios.png")
		if ok, err := r.ratioChart(png); err != nil {
			return files, err
		} else if ok {
			files = append(files, png)
		}
	}
	return files, nil
}

// markdown is the results as a table: one row per figure.
func (r results) markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "veil benchmark suite, %s, took %s\n\n", r.Date, r.Took)
	fmt.Fprintf(&b, "Machine: %s, %d CPUs (%s), %.0f GB, Linux %s, %s, %s\n\n", m.Hostname, m.CPUs, m.CPU, m.MemoryGB, m.Kernel, m.Go, m.I2pd)
	b.WriteString("| id | figure | unit | veil median [min–max] (n) | i2pd median [min–max] (n) | veil/i2pd | veil better by |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, f := range r.Figures {
		ratio, adv := "–", "–"
		if f.Ratio != nil {
			ratio = fmt.Sprintf("%.2f", *f.Ratio)
			adv = fmt.Sprintf("%.2f× (%s is better)", f.advantage(), f.Better)
		}
		i2pd := "–"
		if f.I2pdStats != nil {
			i2pd = cell(*f.I2pdStats)
		}
		veil := cell(f.VeilStats)
		if f.VeilFailed > 0 {
			veil += fmt.Sprintf(", %d failed", f.VeilFailed)
		}
		if f.I2pdFailed > 0 {
			i2pd += fmt.Sprintf(", %d failed", f.I2pdFailed)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", f.ID, f.Name, f.Unit, veil, i2pd, ratio, adv)
	}
	return b.String()
}

func cell(s stats) string {
	if s.N == 0 {
		return "–"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.3g (1)", s.Median)
	}
	return fmt.Sprintf("%.3g [%.3g–%.3g] (%d)", s.Median, s.Min, s.Max, s.N)
}

// ratioChart draws how many times better veil did on each figure that
// has an i2pd side (1 = the same; above 1 veil is better), or reports
// false when there is none.
func (r results) ratioChart(path string) (bool, error) {
	var vals plotter.Values
	var names []string
	for _, f := range r.Figures {
		if a := f.advantage(); a > 0 {
			vals = append(vals, a)
			names = append(names, fmt.Sprintf("%s %s", f.ID, abbreviate(f.Name, 28)))
		}
	}
	if len(vals) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = "veil vs i2pd " + strings.TrimPrefix(r.Machine.I2pd, "i2pd version ") + " (" + r.Date[:10] + "): times better, medians"
	p.Y.Label.Text = "veil advantage (1 = same as i2pd)"
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return false, err
	}
	bars.Color = plotter.DefaultLineStyle.Color
	p.Add(bars)
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(one)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -1, -0.5
	p.Y.Min = 0
	top := 1.0
	var xys plotter.XYLabels
	for i, v := range vals {
		top = max(top, v)
		xys.XYs = append(xys.XYs, plotter.XY{X: float64(i), Y: v})
		xys.Labels = append(xys.Labels, fmt.Sprintf("%.2f×", v))
	}
	p.Y.Max = top * 1.15
	p.X.Min, p.X.Max = -1.2, float64(len(vals))-0.5 // room for the slanted names
	labels, err := plotter.NewLabels(xys)
	if err != nil {
		return false, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = -0.5, 0
	}
	p.Add(labels)
	return true, p.Save(vg.Length(70+45*len(vals))*vg.Millimeter, 120*vg.Millimeter, path)
}

func abbreviate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
