package router

import (
	"context"
	"net/http"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
)

// controlLookupB33 resolves a b33 address for GET /netdb/lookup: through
// the local destination named dest (its i2cp.leaseSetPrivKey is the client
// key, and it can then send to the result), or, with dest empty, through
// the router's netDb alone without a client key.
func (r *Router) controlLookupB33(ctx context.Context, addr, dest string) (LookupResult, int) {
	res := LookupResult{Type: "leaseset"}
	a, err := data.ParseB33(addr)
	if err != nil {
		res.Error = "key: " + err.Error()
		return res, http.StatusBadRequest
	}
	if r.NetDB() == nil {
		res.Error = "router not running"
		return res, http.StatusServiceUnavailable
	}
	if key, err := a.Blinding("").DHTKey(r.cfg.now()); err == nil {
		res.Key = key.String() // the blinded key looked up (without a secret)
	}
	ctx, cancel := context.WithTimeout(ctx, lookupWait)
	defer cancel()
	var in data.InnerLeaseSet
	if dest != "" {
		d := r.Destination(dest)
		if d == nil {
			res.Error = "dest: no local destination " + dest
			return res, http.StatusBadRequest
		}
		h, err := d.ResolveB33(ctx, addr, client.B33Key{})
		if err != nil {
			return res.done(err)
		}
		if l := (routerNet{r}).Store().LeaseSet(h); l != nil {
			in, _ = l.Entry.(data.InnerLeaseSet)
		}
	} else {
		if in, err = client.LookupB33(ctx, routerNet{r}, addr, client.B33Key{}, r.cfg.now()); err != nil {
			return res.done(err)
		}
	}
	ls, ok := in.(*data.LeaseSet2)
	if !ok {
		res.Error = "no inner LeaseSet2"
		return res, http.StatusNotFound
	}
	res.Found, res.StoreType = true, int(ls.StoreType())
	res.Destination, res.Leases = ls.Hash().B32(), len(ls.Leases)
	res.Published, res.Expires = ls.Published.Time().UTC().Format(time.RFC3339), ls.Expiration().UTC().Format(time.RFC3339)
	return res, http.StatusOK
}
