package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/veil-i2p/veil/internal/router"
)

// writeNetDB prints the netDb counters of `veil status`, if any.
func writeNetDB(w io.Writer, st *router.NetDBStatus) {
	c := st.Counters
	if c == nil {
		return
	}
	if st.Floodfill {
		fmt.Fprintf(w, "  floodfill: %d stores in (%d acked, %d flooded), %d lookups in (%d answered, %d search replies, %d encrypted)\n",
			c.StoresReceived, c.Acks, c.Flooded, c.LookupsReceived, c.Answered, c.SearchReplies, c.Encrypted)
	}
	fmt.Fprintf(w, "  netdb lookups: %d (%d found, %d failed, %d queries), %d explorations, RouterInfo published %d (%d acked, %d verified)\n",
		c.Lookups, c.LookupsFound, c.LookupsFailed, c.Queries, c.Explorations, c.Published, c.PublishAcked, c.Verified)
	var rej []string
	for k, n := range c.Rejected {
		if n > 0 {
			rej = append(rej, fmt.Sprintf("%s %d", k, n))
		}
	}
	slices.Sort(rej)
	if len(rej) > 0 {
		fmt.Fprintf(w, "  netdb refused: %s\n", strings.Join(rej, ", "))
	}
}
