package console

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogRing(t *testing.T) {
	var out bytes.Buffer
	r := NewLogRing(3)
	log := slog.New(r.Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}), slog.LevelInfo))
	log.Debug("not kept")
	log.With("peer", "abc").WithGroup("g").Info("kept", "n", 1, "s", "two words")
	log.Warn("warned")
	log.Error("e1")
	log.Error("e2")
	lines := r.Lines()
	if len(lines) != 3 || lines[0].Message != "e2" || lines[2].Message != "warned" {
		t.Fatalf("lines %+v", lines)
	}
	all := NewLogRing(10)
	slog.New(all.Handler(slog.DiscardHandler, slog.LevelInfo)).With("peer", "abc").WithGroup("g").Info("kept", "n", 1, "s", "two words")
	if l := all.Lines(); len(l) != 1 || l[0].Attrs != `peer=abc g.n=1 g.s="two words"` || l[0].Level != "INFO" {
		t.Errorf("attrs %+v", l)
	}
	// The router's own output keeps its level: info is not written there.
	if strings.Contains(out.String(), "kept") || !strings.Contains(out.String(), "warned") {
		t.Errorf("output:\n%s", out.String())
	}
}
