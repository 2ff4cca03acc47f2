package node

import (
	"testing"

	"github.com/veil-i2p/veil/internal/config"
)

func TestAddressBookOptions(t *testing.T) {
	for _, c := range []struct {
		args []string
		subs int
		def  bool
	}{
		{[]string{"--netid=2"}, 1, true},
		{[]string{"--netid=42"}, 0, false},
		{[]string{"--netid=42", "--addressbook.subscriptions=http://a.i2p/h,http://b.i2p/h"}, 2, false},
		{[]string{"--netid=42", "--addressbook.defaulturl=http://a.i2p/h"}, 0, true},
		{[]string{"--netid=2", "--addressbook.subscriptions="}, 0, true},
	} {
		o, err := config.Load(append(c.args, "--datadir="+t.TempDir()), nil)
		if err != nil {
			t.Fatal(err)
		}
		ab := addressBookConfig(o)
		if ab == nil || len(ab.Subscriptions) != c.subs || (ab.DefaultURL != "") != c.def {
			t.Errorf("%v: %+v", c.args, ab)
		}
	}
	o, _ := config.Load([]string{"--addressbook.enabled=false", "--datadir=" + t.TempDir()}, nil)
	if addressBookConfig(o) != nil {
		t.Error("disabled addressbook configured")
	}
}
