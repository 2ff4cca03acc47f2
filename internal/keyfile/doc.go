// Package keyfile reads and writes the private key files of routers and
// destinations in the formats i2pd and Java I2P use, so an i2pd user can
// move a router (router.keys, ntcp2.keys, ssu2.keys) or a service's keys
// file (tunnels.conf "keys =") to veil and keep the same identity hash and
// .b32.i2p address.
//
// Layout of a private keys file (i2pd's PrivateKeys::ToBuffer, also
// Java's PrivateKeyFile):
//
//	KeysAndCert | encryption private key | signing private key [| offline]
//
// i2pd 2.45 and Java write each private key at its own length (256 bytes
// for ElGamal, 32 for X25519), as does veil; a 256-byte field holding a
// shorter key at its start, as some older writers made, is read too. A signing private key of all zeros means offline keys follow:
// expires(4) transient sig type(2) transient public key, signature by the
// identity key, transient private key.
//
// Files are created with atomicfile.CreateExclusive: keys are never
// overwritten or regenerated once they exist. Nothing here holds state.
package keyfile
