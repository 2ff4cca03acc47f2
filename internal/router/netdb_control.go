package router

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// lookupWait bounds a lookup asked for over the control socket, inside
// the control server's 10 s write timeout.
const lookupWait = 9 * time.Second

// LookupResult is the answer of GET /netdb/lookup on the control socket.
type LookupResult struct {
	Key   string `json:"key"`  // I2P Base64 of the hash looked up
	Type  string `json:"type"` // "leaseset" or "routerinfo"
	Found bool   `json:"found"`
	// For a LeaseSet: its DatabaseStore type (1, 3, 5, 7) and times; for
	// a RouterInfo, Published only.
	StoreType int    `json:"store_type,omitempty"`
	Published string `json:"published,omitempty"` // RFC 3339
	Expires   string `json:"expires,omitempty"`
	// For a b33 address: the destination (….b32.i2p) whose inner
	// LeaseSet2 was decrypted and verified, and its leases.
	Destination string `json:"destination,omitempty"`
	Leases      int    `json:"leases,omitempty"`
	Error       string `json:"error,omitempty"`
}

// netdbRoutes adds the netDb's control endpoints to mux:
//
//	GET /netdb/lookup?key=K[&type=leaseset|routerinfo]
//
// looks K (a .b32.i2p address or a Base64 hash) up, from the store or by
// asking floodfills, and answers a LookupResult (HTTP 404 when not
// found). A b33 address (56+ characters) is resolved to its encrypted
// LeaseSet's inner LeaseSet2 (b33_control.go), with the client key of
// the local destination named by dest=NAME if given.
func (r *Router) netdbRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /netdb/lookup", func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		var res LookupResult
		var code int
		if data.IsB33(q.Get("key")) {
			res, code = r.controlLookupB33(req.Context(), q.Get("key"), q.Get("dest"))
		} else {
			res, code = r.controlLookup(req.Context(), q.Get("key"), q.Get("type"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(res)
	})
}

func (r *Router) controlLookup(ctx context.Context, k, typ string) (LookupResult, int) {
	if typ == "" {
		typ = "leaseset"
	}
	res := LookupResult{Type: typ}
	var key data.Hash
	var err error
	if strings.HasSuffix(k, ".b32.i2p") {
		key, err = data.ParseB32(k)
	} else {
		key, err = data.ParseHashBase64(k)
	}
	svc := r.NetDB()
	switch {
	case err != nil:
		res.Error = "key: " + err.Error()
		return res, http.StatusBadRequest
	case typ != "leaseset" && typ != "routerinfo":
		res.Error = "type: want leaseset or routerinfo"
		return res, http.StatusBadRequest
	case svc == nil:
		res.Error = "router not running"
		return res, http.StatusServiceUnavailable
	}
	res.Key = key.String()
	ctx, cancel := context.WithTimeout(ctx, lookupWait)
	defer cancel()
	if typ == "routerinfo" {
		ri, err := svc.LookupRouterInfo(ctx, key)
		if err == nil {
			res.Found, res.Published = true, ri.Published.Time().UTC().Format(time.RFC3339)
		}
		return res.done(err)
	}
	l, err := svc.LookupLeaseSet(ctx, key)
	if err == nil {
		res.Found, res.StoreType = true, int(l.Type)
		res.Published, res.Expires = l.Published.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339)
	}
	return res.done(err)
}

func (res LookupResult) done(err error) (LookupResult, int) {
	if err != nil {
		res.Error = err.Error()
		return res, http.StatusNotFound
	}
	return res, http.StatusOK
}
