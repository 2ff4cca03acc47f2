package config

// Tunnel types of tunnels.conf, as i2pd names them.
const (
	TunnelClient    = "client"    // TCP listener → one I2P destination
	TunnelServer    = "server"    // I2P destination → a TCP host:port
	TunnelHTTP      = "http"      // server that rewrites HTTP headers
	TunnelIRC       = "irc"       // server that rewrites IRC WEBIRC
	TunnelUDPClient = "udpclient" // UDP listener → one I2P destination
	TunnelUDPServer = "udpserver" // I2P destination → a UDP host:port
	TunnelSOCKS     = "socks"     // SOCKS proxy on its own destination
	TunnelHTTPProxy = "httpproxy" // HTTP proxy on its own destination
	TunnelWebSOCKS  = "websocks"  // deprecated; i2pd skips it
)

// Tunnel is one [name] section of tunnels.conf. Options holds every key
// as written, type included; ParseTunnels has checked the keys every
// tunnel shares (see tunnelKeys), so the accessors below need no error.
// Later packages read the rest with Options or the Int and Bool helpers.
type Tunnel struct {
	Name    string
	Type    string
	Options map[string]string
	Source  string // file path
	Line    int    // line of the [name] header

	lines map[string]int // key → line, for errors
}

// IsClient reports a tunnel that listens locally and connects into I2P.
func (t *Tunnel) IsClient() bool {
	switch t.Type {
	case TunnelClient, TunnelUDPClient, TunnelSOCKS, TunnelHTTPProxy, TunnelWebSOCKS:
		return true
	}
	return t.IsIRCClient()
}

// IsIRCClient reports an `irc` section with a destination and no host:
// veil's IRC client tunnel (Java's, with its filter); an `irc` section
// with a host is i2pd's IRC server tunnel.
func (t *Tunnel) IsIRCClient() bool {
	return t.Type == TunnelIRC && t.Options["destination"] != "" && t.Options["host"] == ""
}

// IsServer reports a tunnel that publishes a destination and forwards to
// a local host.
func (t *Tunnel) IsServer() bool { return !t.IsClient() }

// String returns the value of key, or def if it is absent.
func (t *Tunnel) String(key, def string) string {
	if v, ok := t.Options[key]; ok {
		return v
	}
	return def
}

// Int returns key as an integer in [lo, hi], or def if it is absent.
func (t *Tunnel) Int(key string, def, lo, hi int) (int, error) {
	v, ok := t.Options[key]
	if !ok {
		return def, nil
	}
	n, err := parseInt(v, lo, hi)
	if err != nil {
		return 0, t.err(key, err)
	}
	return n, nil
}

// Bool returns key as a boolean, or def if it is absent.
func (t *Tunnel) Bool(key string, def bool) (bool, error) {
	v, ok := t.Options[key]
	if !ok {
		return def, nil
	}
	b, err := parseBool(v)
	if err != nil {
		return false, t.err(key, err)
	}
	return b, nil
}

func (t *Tunnel) err(key string, err error) error {
	line := t.lines[key]
	if line == 0 {
		line = t.Line
	}
	return &Error{Source: t.Source, Line: line, Option: "[" + t.Name + "] " + key, Err: err}
}

// The accessors below read keys ParseTunnels has checked; defaults are
// i2pd's.

// Address is the local address a client listens on (default 127.0.0.1),
// or the local address a server connects from ("" for any).
func (t *Tunnel) Address() string {
	if t.IsClient() {
		return t.String("address", "127.0.0.1")
	}
	return t.String("address", "")
}

// Port is the local port a client listens on, or the port on Host a
// server forwards to.
func (t *Tunnel) Port() int { return t.mustInt("port", 0) }

// Host is where a server tunnel forwards connections.
func (t *Tunnel) Host() string { return t.String("host", "") }

// Destination is what a client tunnel connects to: a .i2p or .b32.i2p name
// or a base64 destination.
func (t *Tunnel) Destination() string { return t.String("destination", "") }

// DestinationPort is the I2P port a client connects to (0: any).
func (t *Tunnel) DestinationPort() int { return t.mustInt("destinationport", 0) }

// InPort is the I2P port a server accepts (0: any).
func (t *Tunnel) InPort() int { return t.mustInt("inport", 0) }

// SignatureType is the signature type of keys created for the tunnel
// (default 7, Ed25519).
func (t *Tunnel) SignatureType() int { return t.mustInt("signaturetype", 7) }

// CryptoType is the crypto type of keys created for the tunnel (default 0,
// as in i2pd 2.45.1).
func (t *Tunnel) CryptoType() int { return t.mustInt("cryptotype", 0) }

// GZip reports whether payloads are compressed: on by default for UDP
// clients only.
func (t *Tunnel) GZip() bool { return t.mustBool("gzip", t.Type == TunnelUDPClient) }

// EnableUniqueLocal reports whether a server connects from a loopback
// address unique to each remote destination (default true).
func (t *Tunnel) EnableUniqueLocal() bool { return t.mustBool("enableuniquelocal", true) }

// Keys is the keys file; a client without one gets "transient" (new keys
// each start). Servers must name one.
func (t *Tunnel) Keys() string {
	if t.IsClient() {
		return t.String("keys", "transient")
	}
	return t.String("keys", "")
}

// I2CP returns the tunnel's I2CP options: inbound.*, outbound.*,
// latency.*, i2cp.*, i2p.*, crypto.* and explicitPeers, as written.
func (t *Tunnel) I2CP() map[string]string {
	m := make(map[string]string)
	for k, v := range t.Options {
		if isI2CPKey(k) {
			m[k] = v
		}
	}
	return m
}

func (t *Tunnel) mustInt(key string, def int) int {
	v, err := t.Int(key, def, minInt, maxInt32)
	if err != nil {
		return def // not reached for keys in tunnelKeys: ParseTunnels checked them
	}
	return v
}

func (t *Tunnel) mustBool(key string, def bool) bool {
	v, err := t.Bool(key, def)
	if err != nil {
		return def // not reached for keys in tunnelKeys
	}
	return v
}

const minInt = -maxInt32 - 1
