package config

// Options is veil's configuration: every option of i2pd 2.45.1, typed.
// Top-level options (datadir, netid, ...) are fields of Options; a section
// of i2pd.conf ([ntcp2], [sam], ...) is a field holding a struct. The doc
// of each option and its default are in Usage; defaults are i2pd's.
//
// Load returns Options with DataDir, TunConf, TunnelsDir and CertsDir
// resolved to paths. Default returns the defaults alone, with those four
// empty. An Options is plain data: safe to copy (lists are shared) and to
// read from many goroutines; IsSet needs one from Load.
type Options struct {
	DataDir    string // data folder; default ~/.veil, or /var/lib/veil with Service
	Conf       string // the config file read, "" if none
	TunConf    string // tunnels.conf; default <DataDir>/tunnels.conf
	TunnelsDir string // folder of extra tunnel *.conf files; default <DataDir>/tunnels.d
	CertsDir   string // su3 and family certificates; default <DataDir>/certificates
	PIDFile    string // "" means the daemon's default

	Log        string // "" (stdout), "stdout", "file" or "syslog"
	LogFile    string // "" means <DataDir>/veil.log when Log is "file"
	LogLevel   string // debug, info, warn, error, critical or none; lower-case
	LogCLFTime bool

	Family        string // router family name
	Host          string // published IP address; "" means detect
	IfName        string
	IfName4       string
	IfName6       string
	NAT           bool
	Port          int // transports' port; 0 picks one
	IPv4          bool
	Address4      string // local IPv4 address to bind
	IPv6          bool
	Address6      string // local IPv6 address to bind
	ReservedRange bool   // refuse peers in reserved IP ranges
	NetID         int    // 2 is the live network
	Daemon        bool
	Service       bool
	NoTransit     bool
	Floodfill     bool
	Bandwidth     string // "", a class letter K–X, or KBps
	Share         int    // percent of Bandwidth for transit

	Limits         Limits
	HTTP           HTTP // the web console
	HTTPProxy      HTTPProxy
	SOCKSProxy     SOCKSProxy
	SAM            SAM
	BOB            Listener
	I2CP           I2CP
	I2PControl     I2PControl
	Metrics        Listener // veil only: the Prometheus endpoint
	UPnP           UPnP
	Precomputation Precomputation
	Reseed         Reseed
	AddressBook    AddressBook
	Trust          Trust
	Exploratory    Exploratory
	NTCP2          NTCP2
	SSU2           SSU2
	NetTime        NetTime
	Persist        Persist
	CPUExt         CPUExt
	Meshnets       Meshnets
	Unix           Unix

	// set maps each option given on the command line or in the file to
	// where it was given ("command line", "/path/i2pd.conf:12").
	set map[string]string
}

// IsSet reports whether the option (by its i2pd name, "limits.transittunnels")
// was given on the command line or in the config file rather than left at
// its default. i2pd changes some behaviour on that, such as doubling a
// floodfill's default transit tunnel limit.
func (o *Options) IsSet(name string) bool {
	_, ok := o.set[name]
	return ok
}

// Source says where an option was given ("command line" or "path:line"),
// or "" for a default.
func (o *Options) Source(name string) string { return o.set[name] }

// Listener is a local TCP service.
type Listener struct {
	Enabled bool
	Address string // default 127.0.0.1
	Port    int
}

// Limits is [limits].
type Limits struct {
	CoreSize       int // KiB; 0 keeps the system limit
	OpenFiles      int // 0 keeps the system limit
	TransitTunnels int
}

// HTTP is [http], the web console.
type HTTP struct {
	Listener
	Auth          bool
	User          string
	Pass          string // "" means a random password, logged at start
	StrictHeaders bool
	Hostname      string
	WebRoot       string
	Lang          string
}

// TunnelPool is the I2CP tunnel options of a local destination.
type TunnelPool struct {
	InboundLength          int
	InboundQuantity        int
	InboundLengthVariance  int
	OutboundLength         int
	OutboundQuantity       int
	OutboundLengthVariance int
	LatencyMin             int
	LatencyMax             int
}

// ProxyDestination is the local destination behind a proxy.
type ProxyDestination struct {
	Keys            string // keys file in DataDir, or "transient-..."
	SignatureType   int
	TunnelPool      TunnelPool
	LeaseSetType    int
	LeaseSetEncType []string // crypto type numbers, e.g. ["0", "4"]
	LeaseSetPrivKey string
}

// HTTPProxy is [httpproxy].
type HTTPProxy struct {
	Listener
	ProxyDestination
	OutProxy      string // URL of an outproxy inside I2P
	AddressHelper bool
}

// SOCKSProxy is [socksproxy].
type SOCKSProxy struct {
	Listener
	ProxyDestination
	OutProxyEnabled bool
	OutProxy        string // upstream SOCKS proxy address
	OutProxyPort    int
	User, Password  string // SOCKS5 username/password required of clients (veil)
}

// SAM is [sam].
type SAM struct {
	Listener
	SingleThread bool
	PortUDP      int // veil (and later i2pd): 0 is Port - 1, i2pd 2.45's UDP port
}

// I2CP is [i2cp].
type I2CP struct {
	Listener
	SingleThread bool
}

// I2PControl is [i2pcontrol].
type I2PControl struct {
	Listener
	Password string
	Cert     string
	Key      string
}

// UPnP is [upnp].
type UPnP struct {
	Enabled bool
	Name    string
}

// Precomputation is [precomputation].
type Precomputation struct {
	ElGamal bool
}

// Reseed is [reseed].
type Reseed struct {
	Verify    bool
	Threshold int      // reseed below this many known routers
	Floodfill string   // RouterInfo file of a floodfill to reseed from
	File      string   // local .su3 file or HTTPS URL
	ZipFile   string   // local .zip file or HTTPS URL
	Proxy     string   // http:// or socks:// proxy URL
	URLs      []string // reseed servers
	YggURLs   []string // reseed servers reached over Yggdrasil
}

// AddressBook is [addressbook].
type AddressBook struct {
	Enabled       bool
	DefaultURL    string
	Subscriptions []string
	HostsFile     string
}

// Trust is [trust].
type Trust struct {
	Enabled bool
	Family  []string // families whose routers may be first hops
	Routers []string // base64 identity hashes to connect to, and only them
	Hidden  bool
}

// Exploratory is [exploratory]: the router's exploratory tunnel pool.
type Exploratory struct {
	InboundLength    int
	InboundQuantity  int
	OutboundLength   int
	OutboundQuantity int
}

// NTCP2 is [ntcp2].
type NTCP2 struct {
	Enabled   bool
	Published bool
	Port      int    // 0 means the top-level Port
	AddressV6 string // IPv6 address to publish
	Proxy     string
}

// SSU2 is [ssu2].
type SSU2 struct {
	Enabled   bool
	Published bool
	Port      int // 0 means the top-level Port
	MTU4      int // 0 detects
	MTU6      int // 0 detects
	Proxy     string
}

// NetTime is [nettime].
type NetTime struct {
	Enabled         bool
	NTPServers      []string
	NTPSyncInterval int // hours
	FromPeers       bool
}

// Persist is [persist].
type Persist struct {
	Profiles    bool
	AddressBook bool
}

// CPUExt is [cpuext].
type CPUExt struct {
	AESNI bool
	AVX   bool
	Force bool
}

// Meshnets is [meshnets].
type Meshnets struct {
	Yggdrasil  bool
	YggAddress string
}

// Unix is [unix].
type Unix struct {
	HandleSIGTSTP bool
}
