package sam

import (
	"context"
	"errors"
	"strings"
)

// NAMING LOOKUP (samv3.html, "Host Name Lookup"): NAME=ME is the
// session's own destination; a full Base64 destination answers itself;
// b32 and b33 addresses and host names go to the router. OPTIONS=true
// adds the LeaseSet's options as OPTION:key=value (API 0.9.66), and a
// missing LeaseSet is then LEASESET_NOT_FOUND.

func (c *conn) namingLookup(ctx context.Context, cmd Command) error {
	name := cmd.Value("NAME")
	withOpts := strings.EqualFold(cmd.Value("OPTIONS"), "true")
	fail := func(result, msg string) error {
		c.srv.count(func(k *Counters) { k.Errors++ })
		return c.send(reply("NAMING", "REPLY", "RESULT", result, "NAME", name, "MESSAGE", msg))
	}
	ok := func(value string, opts []Pair) error {
		r := reply("NAMING", "REPLY", "RESULT", "OK", "NAME", name, "VALUE", value)
		for _, p := range opts {
			// Keys with "=" and newlines would not read back: dropped.
			if strings.ContainsAny(p.Key, "=\n\r ") || strings.ContainsAny(p.Value, "\n\r") {
				continue
			}
			r = r.With("OPTION:"+p.Key, p.Value)
		}
		return c.send(r)
	}
	switch {
	case name == "":
		return fail("INVALID_KEY", "NAME missing: NAMING LOOKUP NAME=<name, b32 address or ME>")
	case name == "ME":
		if c.dest == nil {
			return fail("INVALID_KEY", "NAME=ME needs a session on this connection: SESSION CREATE first")
		}
		return ok(pubString(c.dest.keys.Identity), nil)
	}
	lower := strings.ToLower(name)
	if !strings.HasSuffix(lower, ".i2p") {
		dst, err := parseDestination(name)
		if err != nil {
			return fail("INVALID_KEY", "NAME is neither a .i2p name nor a Base64 destination: "+err.Error())
		}
		if !withOpts {
			return ok(pubString(dst), nil)
		}
		name2 := dst.Hash().B32()
		f, err := c.lookup(ctx, name2, true)
		if err != nil {
			return c.lookupFailed(name, err, true)
		}
		return ok(pubString(dst), f.Options)
	}
	if strings.HasSuffix(lower, ".b32.i2p") {
		if _, _, err := c.srv.resolve(ctx, lower, nil); err != nil && len(lower) == 52+8 {
			return fail("INVALID_KEY", err.Error())
		}
	}
	f, err := c.lookup(ctx, name, withOpts)
	if err != nil {
		return c.lookupFailed(name, err, withOpts)
	}
	var opts []Pair
	if withOpts {
		opts = f.Options
	}
	return ok(pubString(f.Destination), opts)
}

func (c *conn) lookup(ctx context.Context, name string, withOpts bool) (Found, error) {
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	return c.srv.cfg.Router.Lookup(lctx, name, withOpts)
}

// lookupFailed answers a failed lookup.
func (c *conn) lookupFailed(name string, err error, withOpts bool) error {
	result := "KEY_NOT_FOUND"
	msg := name + " not found: " + err.Error()
	switch {
	case errors.Is(err, ErrNoLeaseSet) && withOpts:
		result = "LEASESET_NOT_FOUND"
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNoLeaseSet):
	case errors.Is(err, context.DeadlineExceeded):
		msg = name + ": lookup timed out; try again once the router has tunnels"
	default:
		result = "I2P_ERROR"
	}
	c.srv.count(func(k *Counters) { k.Errors++ })
	return c.send(reply("NAMING", "REPLY", "RESULT", result, "NAME", name, "MESSAGE", msg))
}
