// Package i2pcontrol is veil's I2PControl server: JSON-RPC 2.0 over
// HTTPS on 127.0.0.1:7650 (i2pd's i2pcontrol.* options, off by default),
// API version 1 as Java I2P and i2pd implement it (I2PControl spec,
// i2p2www/pages/site/docs/api/i2pcontrol.html).
//
// Methods: Authenticate (password → token), Echo, GetRate (bandwidth
// averages from the router's own history), I2PControl (the password),
// RouterInfo, RouterManager (Shutdown, ShutdownGraceful; Restart and
// RestartGraceful when the router can restart itself) and
// NetworkSetting (bandwidth and share, saved to the configuration file).
// Every method but Authenticate needs a token; errors are the spec's
// objects (-32700 … -32603 from JSON-RPC, -32001 … -32006 from
// I2PControl). Where i2pd and the spec differ, replies keep i2pd's value
// types (numbers for counts and rates), so clients written against
// either read them.
//
// Like i2pd, the server speaks only HTTPS: a self-signed certificate is
// created on first start and kept in the data folder
// (i2pcontrol.crt.pem, i2pcontrol.key.pem; cert.go).
//
// Concurrency: the token table and the password sit under one mutex;
// the console.Router it reads must be safe for concurrent use.
package i2pcontrol
