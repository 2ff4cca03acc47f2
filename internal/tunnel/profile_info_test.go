package tunnel

import (
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

func TestProfilesGet(t *testing.T) {
	p := NewProfiles()
	h := data.Hash{1}
	if _, ok := p.Get(h); ok {
		t.Fatal("a profile before any record")
	}
	now := time.Unix(1_800_000_000, 0)
	p.update(h, now, func(pr *profile) { pr.Agreed, pr.TestOK, pr.Rejected = 3, 2, 1 })
	got, ok := p.Get(h)
	if !ok || got.Agreed != 3 || got.TestOK != 2 || got.Rejected != 1 || !got.Last.Equal(now) || got.Weight != p.weight(h) {
		t.Errorf("profile %+v", got)
	}
}
