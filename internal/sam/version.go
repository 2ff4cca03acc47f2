package sam

import (
	"strconv"
	"strings"
)

// Version negotiation (samv3.html, "SAM Connection Handshake"): the
// bridge answers the highest version it has within MIN and MAX, both
// optional since 3.1 and possibly one digit ("3"). veil speaks 3.0 to
// 3.3; older versions (1, 2) are not offered.

// version is a SAM version, major*100 + minor (3.3 = 303).
type version int

const (
	minVersion version = 300
	maxVersion version = 303
)

func (v version) String() string {
	return strconv.Itoa(int(v)/100) + "." + strconv.Itoa(int(v)%100)
}

// atLeast32 says whether the version has 3.2's additions (ports on
// received lines).
func (v version) atLeast32() bool { return v >= 302 }

// parseVersion reads "3", "3.1" or "3.1.0". A lone major number means
// its lowest minor version as a minimum and its highest as a maximum.
func parseVersion(s string, isMax bool) (version, bool) {
	parts := strings.SplitN(s, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil || major < 0 || major > 99 {
		return 0, false
	}
	if len(parts) == 1 {
		if isMax {
			return version(major*100 + 99), true
		}
		return version(major * 100), true
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil || minor < 0 || minor > 99 {
		return 0, false
	}
	return version(major*100 + minor), true
}

// negotiate picks the version for a HELLO's MIN and MAX ("" when not
// given). ok is false when none fits (RESULT=NOVERSION); bad names a
// malformed value.
func negotiate(minS, maxS string) (v version, ok bool, bad string) {
	lo, hi := minVersion, maxVersion
	if minS != "" {
		m, good := parseVersion(minS, false)
		if !good {
			return 0, false, "MIN=" + minS
		}
		lo = max(lo, m)
	}
	if maxS != "" {
		m, good := parseVersion(maxS, true)
		if !good {
			return 0, false, "MAX=" + maxS
		}
		hi = min(hi, m)
	}
	if lo > hi {
		return 0, false, ""
	}
	return hi, true, ""
}
