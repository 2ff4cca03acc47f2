package config

// Reseed and subscription defaults are i2pd 2.45.1's.
const (
	defaultReseedURLs = "https://reseed2.i2p.net/,https://reseed.diva.exchange/,https://reseed-fr.i2pd.xyz/," +
		"https://reseed.memcpy.io/,https://reseed.onion.im/,https://i2pseed.creativecowpat.net:8443/," +
		"https://reseed.i2pgit.org/,https://i2p.novg.net/,https://banana.incognet.io/," +
		"https://reseed-pl.i2pd.xyz/,https://www2.mk16.de/"
	defaultReseedYggURLs = "http://[324:71e:281a:9ed3::ace]:7070/,http://[301:65b9:c7cd:9a36::1]:18801/," +
		"http://[320:8936:ec1a:31f1::216]/,http://[306:3834:97b9:a00a::1]/,http://[316:f9e0:f22e:a74f::216]/"
	defaultAddressBookURL = "http://shx5vqsw7usdaunyzr2qmes2fq37oumybpudrd4jjj4e4vk4uusa.b32.i2p/hosts.txt"
	defaultNTPServers     = "0.pool.ntp.org,1.pool.ntp.org,2.pool.ntp.org,3.pool.ntp.org"
)

// Tunnel pool bounds: a tunnel build message has 8 records; I2CP allows
// at most 16 tunnels each way.
const (
	maxTunnelLength   = 8
	maxTunnelQuantity = 16
	maxInt32          = 1<<31 - 1
)

// optionTable lists every option of i2pd 2.45.1 (libi2pd/Config.cpp,
// non-Windows), top-level ones first, then each section; Dump and Usage
// keep this order. Defaults are i2pd's, except that host is "" where i2pd
// writes the placeholder 0.0.0.0 for "not set", and upnp.name is "veil".
// Adding an option is one line here plus its field in Options.
var optionTable = [...]option{
	strOpt("conf", "", "config file; default <datadir>/i2pd.conf or <datadir>/veil.conf", func(o *Options) *string { return &o.Conf }).commandLineOnly(),
	strOpt("datadir", "", "data folder; default ~/.veil, or /var/lib/veil with --service", func(o *Options) *string { return &o.DataDir }),
	strOpt("tunconf", "", "tunnels file; default <datadir>/tunnels.conf", func(o *Options) *string { return &o.TunConf }),
	strOpt("tunnelsdir", "", "folder of extra tunnel *.conf files; default <datadir>/tunnels.d", func(o *Options) *string { return &o.TunnelsDir }),
	strOpt("certsdir", "", "su3 and family certificates; default <datadir>/certificates", func(o *Options) *string { return &o.CertsDir }),
	strOpt("pidfile", "", "pid file when running as a daemon", func(o *Options) *string { return &o.PIDFile }),
	strOpt("log", "", "where logs go: stdout, file or syslog (empty: stdout)", func(o *Options) *string { return &o.Log }).with(checkLog),
	strOpt("logfile", "", "log file when log = file (empty: in datadir)", func(o *Options) *string { return &o.LogFile }),
	strOpt("loglevel", "warn", "least severe level logged: debug, info, warn, error, critical, none", func(o *Options) *string { return &o.LogLevel }).with(checkLogLevel),
	boolOpt("logclftime", false, "write full CLF date and time in the log", func(o *Options) *bool { return &o.LogCLFTime }),
	strOpt("family", "", "router family this router belongs to", func(o *Options) *string { return &o.Family }),
	strOpt("host", "", "external IP address to publish (empty: detect)", func(o *Options) *string { return &o.Host }).with(ipCheck(0)),
	strOpt("ifname", "", "network interface to bind to", func(o *Options) *string { return &o.IfName }),
	strOpt("ifname4", "", "network interface to bind to for IPv4", func(o *Options) *string { return &o.IfName4 }),
	strOpt("ifname6", "", "network interface to bind to for IPv6", func(o *Options) *string { return &o.IfName6 }),
	boolOpt("nat", true, "assume the router is behind NAT", func(o *Options) *bool { return &o.NAT }),
	portOpt("port", 0, "port for incoming connections (0: random, then kept)", func(o *Options) *int { return &o.Port }),
	boolOpt("ipv4", true, "use IPv4", func(o *Options) *bool { return &o.IPv4 }),
	strOpt("address4", "", "local IPv4 address to bind transports to", func(o *Options) *string { return &o.Address4 }).with(ipCheck(4)),
	boolOpt("ipv6", false, "use IPv6", func(o *Options) *bool { return &o.IPv6 }),
	strOpt("address6", "", "local IPv6 address to bind transports to", func(o *Options) *string { return &o.Address6 }).with(ipCheck(6)),
	boolOpt("reservedrange", true, "refuse peers whose addresses are in reserved ranges", func(o *Options) *bool { return &o.ReservedRange }),
	intOpt("netid", 2, 0, 255, "network id; 2 is the live I2P network", func(o *Options) *int { return &o.NetID }),
	boolOpt("daemon", false, "run in the background", func(o *Options) *bool { return &o.Daemon }),
	boolOpt("service", false, "use system folders (/var/lib/veil)", func(o *Options) *bool { return &o.Service }),
	boolOpt("notransit", false, "refuse transit tunnels at start", func(o *Options) *bool { return &o.NoTransit }),
	boolOpt("floodfill", false, "act as a floodfill", func(o *Options) *bool { return &o.Floodfill }),
	strOpt("bandwidth", "", "bandwidth class K, L, M, N, O, P, X or KBps (empty: L, X for a floodfill)", func(o *Options) *string { return &o.Bandwidth }).with(checkBandwidth),
	intOpt("share", 100, 0, 100, "percent of bandwidth for transit traffic", func(o *Options) *int { return &o.Share }),
	ignoredOpt("ntcp", kindBool, "false", "NTCP1"),
	ignoredOpt("ssu", kindBool, "false", "SSU1"),
	ignoredOpt("ntcpproxy", kindString, "", "NTCP1 proxy"),

	intOpt("limits.coresize", 0, 0, maxInt32, "largest core file in KiB (0: system limit)", func(o *Options) *int { return &o.Limits.CoreSize }),
	intOpt("limits.openfiles", 0, 0, 65535, "most open files (0: system limit)", func(o *Options) *int { return &o.Limits.OpenFiles }),
	intOpt("limits.transittunnels", 5000, 0, 65535, "most transit tunnels (doubled for a floodfill unless set)", func(o *Options) *int { return &o.Limits.TransitTunnels }),
	ignoredOpt("limits.ntcpsoft", kindInt, "0", "NTCP soft limit"),
	ignoredOpt("limits.ntcphard", kindInt, "0", "NTCP hard limit"),
	ignoredOpt("limits.ntcpthreads", kindInt, "1", "NTCP threads"),

	boolOpt("http.enabled", true, "run the web console", func(o *Options) *bool { return &o.HTTP.Enabled }),
	strOpt("http.address", "127.0.0.1", "web console address", func(o *Options) *string { return &o.HTTP.Address }).with(checkListenAddress),
	portOpt("http.port", 7070, "web console port", func(o *Options) *int { return &o.HTTP.Port }),
	boolOpt("http.auth", false, "require HTTP basic auth for the console", func(o *Options) *bool { return &o.HTTP.Auth }),
	strOpt("http.user", "i2pd", "console user name", func(o *Options) *string { return &o.HTTP.User }),
	strOpt("http.pass", "", "console password (empty: random, logged)", func(o *Options) *string { return &o.HTTP.Pass }),
	boolOpt("http.strictheaders", true, "check the Host header of console requests", func(o *Options) *bool { return &o.HTTP.StrictHeaders }),
	strOpt("http.hostname", "localhost", "host name the console expects", func(o *Options) *string { return &o.HTTP.Hostname }),
	strOpt("http.webroot", "/", "console root path", func(o *Options) *string { return &o.HTTP.WebRoot }),
	strOpt("http.lang", "english", "console language", func(o *Options) *string { return &o.HTTP.Lang }),

	boolOpt("httpproxy.enabled", true, "run the HTTP proxy", func(o *Options) *bool { return &o.HTTPProxy.Enabled }),
	strOpt("httpproxy.address", "127.0.0.1", "HTTP proxy address", func(o *Options) *string { return &o.HTTPProxy.Address }).with(checkListenAddress),
	portOpt("httpproxy.port", 4444, "HTTP proxy port", func(o *Options) *int { return &o.HTTPProxy.Port }),
	strOpt("httpproxy.keys", "transient-proxy", "HTTP proxy keys file (transient-*: new keys each start)", func(o *Options) *string { return &o.HTTPProxy.Keys }),
	intOpt("httpproxy.signaturetype", 7, 0, 65535, "signature type of new HTTP proxy keys", func(o *Options) *int { return &o.HTTPProxy.SignatureType }),
	intOpt("httpproxy.inbound.length", 3, 0, maxTunnelLength, "HTTP proxy inbound tunnel length", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.InboundLength }),
	intOpt("httpproxy.outbound.length", 3, 0, maxTunnelLength, "HTTP proxy outbound tunnel length", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.OutboundLength }),
	intOpt("httpproxy.inbound.quantity", 5, 1, maxTunnelQuantity, "HTTP proxy inbound tunnels", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.InboundQuantity }),
	intOpt("httpproxy.outbound.quantity", 5, 1, maxTunnelQuantity, "HTTP proxy outbound tunnels", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.OutboundQuantity }),
	intOpt("httpproxy.inbound.lengthVariance", 0, -7, 7, "HTTP proxy inbound length variance", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.InboundLengthVariance }),
	intOpt("httpproxy.outbound.lengthVariance", 0, -7, 7, "HTTP proxy outbound length variance", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.OutboundLengthVariance }),
	intOpt("httpproxy.latency.min", 0, 0, maxInt32, "HTTP proxy least tunnel latency, ms (0: any)", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.LatencyMin }),
	intOpt("httpproxy.latency.max", 0, 0, maxInt32, "HTTP proxy most tunnel latency, ms (0: any)", func(o *Options) *int { return &o.HTTPProxy.TunnelPool.LatencyMax }),
	strOpt("httpproxy.outproxy", "", "outproxy URL inside I2P for clearnet requests", func(o *Options) *string { return &o.HTTPProxy.OutProxy }),
	boolOpt("httpproxy.addresshelper", true, "accept address helper (jump) links", func(o *Options) *bool { return &o.HTTPProxy.AddressHelper }),
	intOpt("httpproxy.i2cp.leaseSetType", 3, 0, 255, "HTTP proxy LeaseSet type", func(o *Options) *int { return &o.HTTPProxy.LeaseSetType }),
	listOpt("httpproxy.i2cp.leaseSetEncType", "0,4", "HTTP proxy LeaseSet encryption types", func(o *Options) *[]string { return &o.HTTPProxy.LeaseSetEncType }).with(checkIntList),
	strOpt("httpproxy.i2cp.leaseSetPrivKey", "", "HTTP proxy LeaseSet private key", func(o *Options) *string { return &o.HTTPProxy.LeaseSetPrivKey }),

	boolOpt("socksproxy.enabled", true, "run the SOCKS proxy", func(o *Options) *bool { return &o.SOCKSProxy.Enabled }),
	strOpt("socksproxy.address", "127.0.0.1", "SOCKS proxy address", func(o *Options) *string { return &o.SOCKSProxy.Address }).with(checkListenAddress),
	portOpt("socksproxy.port", 4447, "SOCKS proxy port", func(o *Options) *int { return &o.SOCKSProxy.Port }),
	strOpt("socksproxy.keys", "transient-proxy", "SOCKS proxy keys file (transient-*: new keys each start)", func(o *Options) *string { return &o.SOCKSProxy.Keys }),
	intOpt("socksproxy.signaturetype", 7, 0, 65535, "signature type of new SOCKS proxy keys", func(o *Options) *int { return &o.SOCKSProxy.SignatureType }),
	intOpt("socksproxy.inbound.length", 3, 0, maxTunnelLength, "SOCKS proxy inbound tunnel length", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.InboundLength }),
	intOpt("socksproxy.outbound.length", 3, 0, maxTunnelLength, "SOCKS proxy outbound tunnel length", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.OutboundLength }),
	intOpt("socksproxy.inbound.quantity", 5, 1, maxTunnelQuantity, "SOCKS proxy inbound tunnels", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.InboundQuantity }),
	intOpt("socksproxy.outbound.quantity", 5, 1, maxTunnelQuantity, "SOCKS proxy outbound tunnels", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.OutboundQuantity }),
	intOpt("socksproxy.inbound.lengthVariance", 0, -7, 7, "SOCKS proxy inbound length variance", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.InboundLengthVariance }),
	intOpt("socksproxy.outbound.lengthVariance", 0, -7, 7, "SOCKS proxy outbound length variance", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.OutboundLengthVariance }),
	intOpt("socksproxy.latency.min", 0, 0, maxInt32, "SOCKS proxy least tunnel latency, ms (0: any)", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.LatencyMin }),
	intOpt("socksproxy.latency.max", 0, 0, maxInt32, "SOCKS proxy most tunnel latency, ms (0: any)", func(o *Options) *int { return &o.SOCKSProxy.TunnelPool.LatencyMax }),
	boolOpt("socksproxy.outproxy.enabled", false, "send non-I2P connections to the upstream proxy", func(o *Options) *bool { return &o.SOCKSProxy.OutProxyEnabled }),
	strOpt("socksproxy.outproxy", "127.0.0.1", "upstream SOCKS proxy address", func(o *Options) *string { return &o.SOCKSProxy.OutProxy }),
	portOpt("socksproxy.outproxyport", 9050, "upstream SOCKS proxy port", func(o *Options) *int { return &o.SOCKSProxy.OutProxyPort }),
	strOpt("socksproxy.user", "", "SOCKS5 username clients must give (veil only; none: no authentication)", func(o *Options) *string { return &o.SOCKSProxy.User }),
	strOpt("socksproxy.password", "", "SOCKS5 password clients must give with socksproxy.user (veil only)", func(o *Options) *string { return &o.SOCKSProxy.Password }),
	intOpt("socksproxy.i2cp.leaseSetType", 3, 0, 255, "SOCKS proxy LeaseSet type", func(o *Options) *int { return &o.SOCKSProxy.LeaseSetType }),
	listOpt("socksproxy.i2cp.leaseSetEncType", "0,4", "SOCKS proxy LeaseSet encryption types", func(o *Options) *[]string { return &o.SOCKSProxy.LeaseSetEncType }).with(checkIntList),
	strOpt("socksproxy.i2cp.leaseSetPrivKey", "", "SOCKS proxy LeaseSet private key", func(o *Options) *string { return &o.SOCKSProxy.LeaseSetPrivKey }),

	boolOpt("sam.enabled", true, "run the SAM bridge", func(o *Options) *bool { return &o.SAM.Enabled }),
	strOpt("sam.address", "127.0.0.1", "SAM address", func(o *Options) *string { return &o.SAM.Address }).with(checkListenAddress),
	portOpt("sam.port", 7656, "SAM TCP port", func(o *Options) *int { return &o.SAM.Port }),
	boolOpt("sam.singlethread", true, "accepted for i2pd's sake; veil runs each SAM connection on its own goroutine", func(o *Options) *bool { return &o.SAM.SingleThread }),
	portOpt("sam.portudp", 0, "SAM UDP port for datagrams; 0: sam.port - 1 (7655), as i2pd 2.45", func(o *Options) *int { return &o.SAM.PortUDP }),

	boolOpt("bob.enabled", false, "run the BOB command channel", func(o *Options) *bool { return &o.BOB.Enabled }),
	strOpt("bob.address", "127.0.0.1", "BOB address", func(o *Options) *string { return &o.BOB.Address }).with(checkListenAddress),
	portOpt("bob.port", 2827, "BOB port", func(o *Options) *int { return &o.BOB.Port }),

	boolOpt("i2cp.enabled", false, "run the I2CP server", func(o *Options) *bool { return &o.I2CP.Enabled }),
	strOpt("i2cp.address", "127.0.0.1", "I2CP address", func(o *Options) *string { return &o.I2CP.Address }).with(checkListenAddress),
	portOpt("i2cp.port", 7654, "I2CP port", func(o *Options) *int { return &o.I2CP.Port }),
	boolOpt("i2cp.singlethread", true, "run I2CP destinations on the server's goroutine", func(o *Options) *bool { return &o.I2CP.SingleThread }),

	boolOpt("i2pcontrol.enabled", false, "run the I2PControl server", func(o *Options) *bool { return &o.I2PControl.Enabled }),
	strOpt("i2pcontrol.address", "127.0.0.1", "I2PControl address", func(o *Options) *string { return &o.I2PControl.Address }).with(checkListenAddress),
	portOpt("i2pcontrol.port", 7650, "I2PControl port", func(o *Options) *int { return &o.I2PControl.Port }),
	strOpt("i2pcontrol.password", "itoopie", "I2PControl password", func(o *Options) *string { return &o.I2PControl.Password }),
	strOpt("i2pcontrol.cert", "i2pcontrol.crt.pem", "I2PControl TLS certificate", func(o *Options) *string { return &o.I2PControl.Cert }),
	strOpt("i2pcontrol.key", "i2pcontrol.key.pem", "I2PControl TLS key", func(o *Options) *string { return &o.I2PControl.Key }),

	// veil's own (i2pd has no metrics endpoint): see veilOptions in dump_test.go.
	boolOpt("metrics.enabled", false, "serve Prometheus metrics (veil only)", func(o *Options) *bool { return &o.Metrics.Enabled }),
	strOpt("metrics.address", "127.0.0.1", "metrics address (veil only)", func(o *Options) *string { return &o.Metrics.Address }).with(checkListenAddress),
	portOpt("metrics.port", 7071, "metrics port (veil only)", func(o *Options) *int { return &o.Metrics.Port }),

	boolOpt("upnp.enabled", false, "forward the port with UPnP", func(o *Options) *bool { return &o.UPnP.Enabled }),
	strOpt("upnp.name", "veil", "name shown in the UPnP forwarding list", func(o *Options) *string { return &o.UPnP.Name }),

	boolOpt("precomputation.elgamal", false, "precompute ElGamal tables", func(o *Options) *bool { return &o.Precomputation.ElGamal }),

	boolOpt("reseed.verify", false, "verify su3 reseed signatures", func(o *Options) *bool { return &o.Reseed.Verify }),
	intOpt("reseed.threshold", 25, 0, 65535, "reseed when fewer routers are known", func(o *Options) *int { return &o.Reseed.Threshold }),
	strOpt("reseed.floodfill", "", "RouterInfo file of a floodfill to reseed from", func(o *Options) *string { return &o.Reseed.Floodfill }),
	strOpt("reseed.file", "", "local .su3 file or HTTPS URL to reseed from", func(o *Options) *string { return &o.Reseed.File }),
	strOpt("reseed.zipfile", "", "local .zip file or HTTPS URL to reseed from", func(o *Options) *string { return &o.Reseed.ZipFile }),
	strOpt("reseed.proxy", "", "http:// or socks:// proxy for reseeding", func(o *Options) *string { return &o.Reseed.Proxy }),
	listOpt("reseed.urls", defaultReseedURLs, "reseed server URLs, comma-separated", func(o *Options) *[]string { return &o.Reseed.URLs }),
	listOpt("reseed.yggurls", defaultReseedYggURLs, "reseed URLs over Yggdrasil, comma-separated", func(o *Options) *[]string { return &o.Reseed.YggURLs }),

	boolOpt("addressbook.enabled", true, "use the address book and its subscriptions", func(o *Options) *bool { return &o.AddressBook.Enabled }),
	strOpt("addressbook.defaulturl", defaultAddressBookURL, "hosts.txt URL for the first fill", func(o *Options) *string { return &o.AddressBook.DefaultURL }),
	listOpt("addressbook.subscriptions", "http://reg.i2p/hosts.txt", "subscription URLs, comma-separated", func(o *Options) *[]string { return &o.AddressBook.Subscriptions }),
	strOpt("addressbook.hostsfile", "", "file to write addresses to in hosts.txt format", func(o *Options) *string { return &o.AddressBook.HostsFile }),

	boolOpt("trust.enabled", false, "apply the trust options", func(o *Options) *bool { return &o.Trust.Enabled }),
	listOpt("trust.family", "", "families trusted for first hops, comma-separated", func(o *Options) *[]string { return &o.Trust.Family }),
	listOpt("trust.routers", "", "the only routers to connect to, comma-separated", func(o *Options) *[]string { return &o.Trust.Routers }),
	boolOpt("trust.hidden", false, "hide this router from others", func(o *Options) *bool { return &o.Trust.Hidden }),

	ignoredOpt("websockets.enabled", kindBool, "false", "websockets"),
	ignoredOpt("websockets.address", kindString, "", "websockets address"),
	ignoredOpt("websockets.port", kindInt, "0", "websockets port"),

	intOpt("exploratory.inbound.length", 2, 0, maxTunnelLength, "exploratory inbound tunnel length", func(o *Options) *int { return &o.Exploratory.InboundLength }),
	intOpt("exploratory.outbound.length", 2, 0, maxTunnelLength, "exploratory outbound tunnel length", func(o *Options) *int { return &o.Exploratory.OutboundLength }),
	intOpt("exploratory.inbound.quantity", 3, 1, maxTunnelQuantity, "exploratory inbound tunnels", func(o *Options) *int { return &o.Exploratory.InboundQuantity }),
	intOpt("exploratory.outbound.quantity", 3, 1, maxTunnelQuantity, "exploratory outbound tunnels", func(o *Options) *int { return &o.Exploratory.OutboundQuantity }),

	boolOpt("ntcp2.enabled", true, "use NTCP2", func(o *Options) *bool { return &o.NTCP2.Enabled }),
	boolOpt("ntcp2.published", true, "publish the NTCP2 address", func(o *Options) *bool { return &o.NTCP2.Published }),
	portOpt("ntcp2.port", 0, "NTCP2 port (0: the port option)", func(o *Options) *int { return &o.NTCP2.Port }),
	strOpt("ntcp2.addressv6", "::", "IPv6 address to publish NTCP2 with", func(o *Options) *string { return &o.NTCP2.AddressV6 }).with(ipCheck(6)),
	strOpt("ntcp2.proxy", "", "proxy URL for outgoing NTCP2", func(o *Options) *string { return &o.NTCP2.Proxy }),

	boolOpt("ssu2.enabled", true, "use SSU2", func(o *Options) *bool { return &o.SSU2.Enabled }),
	boolOpt("ssu2.published", true, "publish the SSU2 address", func(o *Options) *bool { return &o.SSU2.Published }),
	portOpt("ssu2.port", 0, "SSU2 port (0: the port option)", func(o *Options) *int { return &o.SSU2.Port }),
	intOpt("ssu2.mtu4", 0, 0, 1500, "IPv4 MTU (0: detect, else 1280..1500)", func(o *Options) *int { return &o.SSU2.MTU4 }).withInt(checkMTU),
	intOpt("ssu2.mtu6", 0, 0, 1500, "IPv6 MTU (0: detect, else 1280..1500)", func(o *Options) *int { return &o.SSU2.MTU6 }).withInt(checkMTU),
	strOpt("ssu2.proxy", "", "SOCKS5 proxy URL for SSU2", func(o *Options) *string { return &o.SSU2.Proxy }),

	boolOpt("nettime.enabled", false, "sync the clock with NTP", func(o *Options) *bool { return &o.NetTime.Enabled }),
	listOpt("nettime.ntpservers", defaultNTPServers, "NTP servers, comma-separated", func(o *Options) *[]string { return &o.NetTime.NTPServers }),
	intOpt("nettime.ntpsyncinterval", 72, 1, maxInt32, "hours between NTP syncs", func(o *Options) *int { return &o.NetTime.NTPSyncInterval }),
	boolOpt("nettime.frompeers", true, "sync the clock from transport peers", func(o *Options) *bool { return &o.NetTime.FromPeers }),

	boolOpt("persist.profiles", true, "save peer profiles", func(o *Options) *bool { return &o.Persist.Profiles }),
	boolOpt("persist.addressbook", true, "save full addresses in the address book", func(o *Options) *bool { return &o.Persist.AddressBook }),

	boolOpt("cpuext.aesni", true, "use AES-NI when present", func(o *Options) *bool { return &o.CPUExt.AESNI }),
	boolOpt("cpuext.avx", true, "use AVX when present", func(o *Options) *bool { return &o.CPUExt.AVX }),
	boolOpt("cpuext.force", false, "use CPU extensions without detecting them", func(o *Options) *bool { return &o.CPUExt.Force }),

	boolOpt("meshnets.yggdrasil", false, "use the Yggdrasil network", func(o *Options) *bool { return &o.Meshnets.Yggdrasil }),
	strOpt("meshnets.yggaddress", "", "Yggdrasil address to publish", func(o *Options) *string { return &o.Meshnets.YggAddress }).with(ipCheck(6)),

	boolOpt("unix.handle_sigtstp", false, "stop and resume on SIGTSTP and SIGCONT", func(o *Options) *bool { return &o.Unix.HandleSIGTSTP }),
}
