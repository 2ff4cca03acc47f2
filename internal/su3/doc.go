// Package su3 reads, verifies and writes su3 files, the signed container
// I2P uses for reseed bundles, router updates, plugins, news and
// blocklists.
//
// Spec: i2p.www i2p2www/spec/updates.rst, "SU3 File Specification" (header
// layout, raw signatures) and "SU3 Reseed File Specification" (content type
// 3, a zip of top-level routerInfo-<hash>.dat files, version = Unix seconds,
// RSA-4096 signer certificates); i2p.website content/en/docs/misc/reseed.md
// (signer ID = certificate subject CN, validity dates enforced). Behaviour
// was checked against Java I2P's net.i2p.crypto.SU3File and DirKeyRing and
// i2pd's Reseeder::ProcessSU3Stream and LoadCertificate.
//
// The package works on whole files in memory: Parse takes the bytes and
// returns a File whose Content, Signature and Signed fields alias them.
// Every length in a header is checked against the input before it is used,
// so no declared length causes an allocation, and inputs are capped at
// MaxSize. Reseed bundles are small (Java I2P refuses reseed responses over
// 1 MiB), so callers downloading one should pass a tighter cap to
// ParseReader.
//
// The signature covers bytes 0 through the end of the content. It is a
// "raw" signature over the digest named by the signature type: for RSA
// (types 4–6) PKCS#1 v1.5 padding applied to the bare digest with no
// DigestInfo ("NONEwithRSA"); for ECDSA (1–3) an ordinary ECDSA signature
// of that digest, I2P-encoded as R||S; for type 8, "Ed25519ph", pure
// Ed25519 over the SHA-512 digest. The primitives live in internal/crypto.
//
// Trust: the content type is the trust domain (updates.rst, "Notes"), so a
// Keyring should hold only the certificates for one content type, such as
// i2pd's certificates/reseed folder, and callers must check ContentType
// themselves. Certificates are matched by subject CN; revocation lists are
// not consulted.
//
// Concurrency: the package holds no mutable state. A File is a plain value;
// a Keyring is immutable once built and safe for concurrent use.
package su3
