package router

// NetDBCounters are the netDb's counters in `veil status` (README, "veil
// status"), since the router started.
type NetDBCounters struct {
	// Floodfill role.
	StoresReceived  uint64 `json:"stores_received"`  // DatabaseStores handled
	LookupsReceived uint64 `json:"lookups_received"` // DatabaseLookups handled
	Answered        uint64 `json:"lookups_answered"` // with the entry
	SearchReplies   uint64 `json:"search_replies"`   // DatabaseSearchReplies sent
	Encrypted       uint64 `json:"encrypted_replies"`
	Acks            uint64 `json:"acks"`    // DeliveryStatus sent for stores
	Flooded         uint64 `json:"flooded"` // DatabaseStores sent to other floodfills
	// Store.
	Stored    uint64            `json:"stored"`    // entries added or replaced
	Unchanged uint64            `json:"unchanged"` // valid, not newer than ours
	Expired   uint64            `json:"expired"`
	Rejected  map[string]uint64 `json:"rejected"` // by reason
	// Client role.
	Lookups       uint64 `json:"lookups"` // ours
	LookupsFound  uint64 `json:"lookups_found"`
	LookupsFailed uint64 `json:"lookups_failed"`
	Queries       uint64 `json:"queries"` // DatabaseLookups sent
	Explorations  uint64 `json:"explorations"`
	Published     uint64 `json:"published"` // our RouterInfo stored at a floodfill
	PublishAcked  uint64 `json:"publish_acked"`
	Verified      uint64 `json:"verified"` // and found again at another
	VerifyFailed  uint64 `json:"verify_failed"`
	// Lookups sent through our tunnels, and their encrypted answers.
	TunneledQueries  uint64 `json:"tunneled_queries"`
	EncryptedAnswers uint64 `json:"encrypted_answers"`
	// Messages.
	SendDropped  uint64 `json:"send_dropped"` // send queue full
	SendFailed   uint64 `json:"send_failed"`
	GarlicIn     uint64 `json:"garlic_received"` // garlic addressed to our router
	GarlicBad    uint64 `json:"garlic_bad"`
	GarlicReplay uint64 `json:"garlic_replayed"`
}

// netdbStatus fills the netDb part of the status.
func (r *Router) netdbStatus(st *NetDBStatus) {
	r.mu.Lock()
	g := r.nd
	r.mu.Unlock()
	if g == nil {
		return
	}
	s := g.svc.Stats()
	st.Routers, st.Floodfills, st.LeaseSets, st.Floodfill = s.Routers, s.Floodfills, s.LeaseSets, s.Floodfill
	st.Counters = &NetDBCounters{
		StoresReceived: s.StoresReceived, LookupsReceived: s.LookupsReceived, Answered: s.Answered,
		SearchReplies: s.SearchReplies, Encrypted: s.Encrypted, Acks: s.Acks, Flooded: s.Flooded,
		Stored: s.Stored, Unchanged: s.Unchanged, Expired: s.Expired, Rejected: s.Rejected,
		Lookups: s.Lookups, LookupsFound: s.LookupsFound, LookupsFailed: s.LookupsFailed, Queries: s.Queries,
		Explorations: s.Explorations, Published: s.Published, PublishAcked: s.PublishAcked,
		Verified: s.Verified, VerifyFailed: s.VerifyFailed,
		TunneledQueries: s.TunneledQueries, EncryptedAnswers: s.EncryptedReplies,
		SendDropped: s.SendDropped, SendFailed: s.SendFailed,
		GarlicIn: g.garlicIn.Load(), GarlicBad: g.garlicBad.Load(), GarlicReplay: g.garlicReplayed.Load(),
	}
}
