package router

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-i2p/veil/internal/data"
)

// seedZip writes a reseed zip of the RouterInfos of n fresh routers.
func seedZip(t *testing.T, n int) (string, []*data.RouterInfo) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var ris []*data.RouterInfo
	for range n {
		p := startedRouter(t)
		ri := p.RouterInfo()
		ris = append(ris, ri)
		w, err := zw.Create("routerInfo-" + ri.Hash().String() + ".dat")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(ri.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seed.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, ris
}

// startedRouter starts (identity only) a router to take its RouterInfo.
func startedRouter(t *testing.T) *Router {
	t.Helper()
	r, err := New(loopbackConfig(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReseedAtStart: a router with an empty netDb and reseed.zipfile
// set loads the zip's routers before connecting.
func TestReseedAtStart(t *testing.T) {
	goroutineLeakCheck(t)
	zipPath, ris := seedZip(t, 3)
	dir := t.TempDir()
	cfg := loopbackConfig(t, dir)
	cfg.Reseed = ReseedConfig{Threshold: 25, ZipFile: zipPath}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	running(t, r)
	waitStatus(t, dir, "3 routers from the reseed zip", func(st Status) bool { return st.NetDB.Routers == 3 })
	for _, ri := range ris {
		if _, err := os.Stat(NetDBPath(dir, ri.Hash())); err != nil {
			t.Errorf("reseeded router not persisted: %v", err)
		}
	}
}

// TestReseedMainNetRefused: on a private network the default (public)
// reseed servers are never contacted; the router still runs.
func TestReseedMainNetRefused(t *testing.T) {
	goroutineLeakCheck(t)
	dir := t.TempDir()
	cfg := loopbackConfig(t, dir)
	cfg.Reseed = ReseedConfig{Threshold: 25, URLs: []string{"https://reseed2.i2p.net/"}}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	running(t, r)
	waitStatus(t, dir, "running with an empty netDb", func(st Status) bool { return st.NetDB.Routers == 0 })
}
