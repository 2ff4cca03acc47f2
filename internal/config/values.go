package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// parseBool takes what boost::program_options takes for a bool, as i2pd
// 2.45.1 does: true/false, yes/no, on/off, 1/0 in any case. (An empty
// value is also true there; the caller decides, since tunnels.conf's
// parser refuses it.)
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, errorf(ErrInvalidValue, "%s is not a boolean (true/false, yes/no, on/off, 1/0)", quoteShort(s))
}

// isBoolWord reports whether s is a value parseBool takes, so the command
// line can read "--floodfill false" as one option.
func isBoolWord(s string) bool {
	_, err := parseBool(s)
	return err == nil
}

// parseInt takes a decimal integer (an optional sign, no spaces, no hex)
// in [lo, hi].
func parseInt(s string, lo, hi int) (int, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errorf(ErrInvalidValue, "%s is out of range %d..%d", quoteShort(s), lo, hi)
		}
		return 0, errorf(ErrInvalidValue, "%s is not an integer", quoteShort(s))
	}
	if v < int64(lo) || v > int64(hi) {
		return 0, errorf(ErrInvalidValue, "%d is out of range %d..%d", v, lo, hi)
	}
	return int(v), nil
}

// splitList splits a comma-separated value, trimming each element and
// dropping empty ones, as i2pd does for URL and server lists.
func splitList(s string) []string {
	var out []string
	for e := range strings.SplitSeq(s, ",") {
		if e = trim(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// A check validates a string option and may normalise it (loglevel is
// stored lower-case).
type check func(string) (string, error)

// oneOf accepts the given words in any case and stores them lower-case.
func oneOf(words ...string) check {
	return func(s string) (string, error) {
		l := strings.ToLower(s)
		for _, w := range words {
			if l == w {
				return l, nil
			}
		}
		return "", errorf(ErrInvalidValue, "%s is not one of %s", quoteShort(s), strings.Join(words, ", "))
	}
}

// checkLogLevel: i2pd 2.45.1 knows none, error, warn, info and debug (in
// any case); later releases add critical, which veil takes too.
var checkLogLevel = oneOf("debug", "info", "warn", "error", "critical", "none")

// checkLog: where logs go. i2pd falls back to stdout for anything else;
// veil refuses a typo instead.
func checkLog(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return oneOf("stdout", "file", "syslog")(s)
}

// checkBandwidth: empty (L, or X for a floodfill, as i2pd decides), a
// class letter, or a limit in KBps.
func checkBandwidth(s string) (string, error) {
	if s == "" {
		return s, nil
	}
	if len(s) == 1 && strings.Contains("KLMNOPX", s) {
		return s, nil
	}
	if _, err := parseInt(s, 1, 1<<31-1); err == nil {
		return s, nil
	}
	return "", errorf(ErrInvalidValue, "%s is not a bandwidth class (K, L, M, N, O, P, X) or a limit in KBps", quoteShort(s))
}

// ipCheck accepts "" or an IP address of the given family (4, 6, or 0 for
// either).
func ipCheck(family int) check {
	return func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			return "", errorf(ErrInvalidValue, "%s is not an IP address", quoteShort(s))
		case family == 4 && !a.Is4():
			return "", errorf(ErrInvalidValue, "%s is not an IPv4 address", quoteShort(s))
		case family == 6 && !a.Is6():
			return "", errorf(ErrInvalidValue, "%s is not an IPv6 address", quoteShort(s))
		}
		return s, nil
	}
}

// checkListenAddress accepts an IP address or a host name for a local
// listener; i2pd resolves names for its proxies.
func checkListenAddress(s string) (string, error) {
	if _, err := netip.ParseAddr(s); err == nil {
		return s, nil
	}
	if s == "" || len(s) > 253 || strings.IndexFunc(s, func(r rune) bool {
		return !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 {
		return "", errorf(ErrInvalidValue, "%s is not an IP address or host name", quoteShort(s))
	}
	return s, nil
}

// checkMTU: 0 detects the MTU; otherwise SSU2's range (ssu2.html: 1280 to
// 1500).
func checkMTU(v int) error {
	if v != 0 && v < 1280 {
		return errorf(ErrInvalidValue, "%d is neither 0 (detect) nor in 1280..1500", v)
	}
	return nil
}

// checkIntList: a comma-separated list of integers in 0..65535, such as
// i2cp.leaseSetEncType "0,4".
func checkIntList(s string) (string, error) {
	for _, e := range splitList(s) {
		if _, err := parseInt(e, 0, 65535); err != nil {
			return "", err
		}
	}
	return s, nil
}
