package main

import (
	"fmt"
	"time"

	"github.com/anacrolix/torrent"
)

// progress is a torrent being downloaded or seeded.
type progress = *torrent.Torrent

// status is one progress line for t, and whether it is complete.
func status(t progress, start time.Time) (string, bool) {
	if t.Info() == nil {
		st := t.Stats()
		return fmt.Sprintf("%s: getting the metadata, %d peers", t.InfoHash().HexString(), st.ActivePeers), false
	}
	st := t.Stats()
	total, missing := t.Length(), t.BytesMissing()
	done := total - missing
	rate := float64(st.BytesReadData.Int64()) / 1024 / max(time.Since(start).Seconds(), 1)
	return fmt.Sprintf("%s: %5.1f%% %s of %s, %d peers (%d seeders), down %.0f KiB/s, up %s",
		t.Name(), 100*float64(done)/float64(max(total, 1)), mib(done), mib(total), st.ActivePeers, st.ConnectedSeeders,
		rate, mib(st.BytesWrittenData.Int64())), missing == 0
}

// mib is a size in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
