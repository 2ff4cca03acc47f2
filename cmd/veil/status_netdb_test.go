package main

import (
	"bytes"
	"testing"

	"github.com/veil-i2p/veil/internal/router"
)

func TestWriteNetDB(t *testing.T) {
	st := &router.NetDBStatus{Floodfill: true, Counters: &router.NetDBCounters{
		StoresReceived: 8, Acks: 7, Flooded: 5, LookupsReceived: 66, Answered: 13, SearchReplies: 53, Encrypted: 3,
		Lookups: 2, LookupsFound: 1, LookupsFailed: 1, Queries: 4, Explorations: 3, Published: 1, PublishAcked: 1, Verified: 1,
		Rejected: map[string]uint64{"signature": 2, "expired": 1, "full": 0},
	}}
	var b bytes.Buffer
	writeNetDB(&b, st)
	want := `  floodfill: 8 stores in (7 acked, 5 flooded), 66 lookups in (13 answered, 53 search replies, 3 encrypted)
  netdb lookups: 2 (1 found, 1 failed, 4 queries), 3 explorations, RouterInfo published 1 (1 acked, 1 verified)
  netdb refused: expired 1, signature 2
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	writeNetDB(&b, &router.NetDBStatus{})
	if b.Len() != 0 {
		t.Fatalf("no counters: %q", b.String())
	}
}
