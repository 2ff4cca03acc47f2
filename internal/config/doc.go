// Package config reads veil's options the way i2pd 2.45.1 reads its own,
// so that an i2pd user's command line, i2pd.conf and tunnels.conf work
// unchanged: i2pd's option names, defaults and file formats are veil's
// interface.
//
// # Options
//
// Load parses the command line (--name=value, --name value, a bare --flag)
// and a config file in i2pd.conf format into a typed Options. Every option
// of i2pd 2.45.1 (libi2pd/Config.cpp) is known; a few that i2pd itself
// ignores (ntcp, ssu, limits.ntcpsoft, websockets.*) are accepted and
// dropped. Defaults are i2pd's, except: the data folder is ~/.veil
// (/var/lib/veil with --service) instead of ~/.i2pd; host is "" rather
// than i2pd's 0.0.0.0 placeholder; upnp.name is "veil". Every local
// service listens on 127.0.0.1 by default, as in i2pd.
//
// Config file search order: --conf if given (it must exist); otherwise
// <datadir>/i2pd.conf, then <datadir>/veil.conf, where <datadir> is
// --datadir, else the default above. If both files exist Load refuses to
// guess. The command line overrides the file.
//
// i2pd.conf format (boost::program_options): "[section]" then
// "key = value" is the option section.key, which may also be written
// "section.key = value" at the top; '#' starts a comment anywhere on a
// line; spaces around keys and values are trimmed. veil also takes lines
// starting with ';' as comments. Booleans are true/false, yes/no, on/off,
// 1/0 in any case, and an empty value is true, all as in i2pd.
//
// Where veil is stricter than i2pd it says so with an error naming the
// option and where it was written ("config: /x/i2pd.conf:12: unknown
// option ..."): an option given twice, an unknown option, a bad value, an
// out-of-range number (ports 0..65535, netid 0..255, share 0..100, tunnel
// lengths 0..8, quantities 1..16), an unknown loglevel or log target, a
// stray command-line argument. i2pd would wrap -1 to 65535 for a port,
// or drop "false" from "--floodfill false" and enable the flag.
//
// # Tunnels
//
// ParseTunnels reads a tunnels.conf (boost::property_tree's INI: comments
// are whole lines, '#' inside a value is data) into []Tunnel; LoadTunnels
// reads tunconf and tunnelsdir/*.conf. The type, the keys each type
// requires, and the values of the keys i2pd knows are checked; I2CP keys
// (inbound.*, i2cp.*, ...) are passed through for the client layer.
//
// # Output
//
// Dump writes Options back as i2pd.conf; Load reads a dump back to the
// same Options. Usage lists every option with its default.
//
// # State
//
// The option table (table.go) and its index are built at init and never
// written. Everything else is per call; Options is plain data.
// Every input is bounded: a file is at most 1 MiB and 65536 entries.
package config
