// Package data holds I2P's common structures (spec: i2p2www/spec/
// common-structures.rst) and their codecs: Integer, Date, String, Hash,
// TunnelID, Certificate, KeysAndCert (RouterIdentity, Destination),
// Mapping, RouterAddress, RouterInfo, Lease/Lease2, the LeaseSet kinds,
// OfflineSignature, and I2P's Base64 and Base32 encodings.
//
// Every Parse function takes untrusted bytes: it returns an error on
// anything malformed or truncated, never panics, and allocates at most in
// proportion to its input. Parsed structures keep the exact bytes they
// came from where a hash or signature covers them, so re-serializing a
// parsed structure reproduces the input byte for byte.
//
// The package holds no mutable state; values are not safe for concurrent
// mutation but may be read from many goroutines.
package data
