package ssu2

import (
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/noise"
)

// Key derivation (ssu2.rst, "KDF for Initial ChainKey", "KDF for Session
// Request", "KDF for Session Created and Session Confirmed part 1", "KDF
// for data phase").

// Labels of the HKDF steps.
const (
	labelSessionCreated   = "SessCreateHeader"
	labelSessionConfirmed = "SessionConfirmed"
	labelDataKeys         = "HKDFSSU2DataKeys"
)

// initialState is the state both sides reach before Session Request
// ("KDF for Initial ChainKey"): h = SHA256(protocol_name), ck = h,
// MixHash(null prologue), MixHash(Bob's static key). Bob computes it once.
func initialState(bobStatic *[keyLen]byte) noise.SymmetricState {
	var s noise.SymmetricState
	s.InitXK(protocolName, bobStatic[:])
	return s
}

// headerKey is HKDF(ck, ZEROLEN, label, 32): k_header_2 of Session
// Created (label SessCreateHeader, from ck after Session Request) and of
// Session Confirmed (label SessionConfirmed, from ck after Session
// Created).
func headerKey(sym *noise.SymmetricState, label string) [keyLen]byte {
	ck := sym.ChainingKey()
	var k [keyLen]byte
	out := crypto.HKDF(ck[:], nil, label, keyLen)
	copy(k[:], out)
	clear(out)
	clear(ck[:])
	return k
}

// dirKeys are one direction's data-phase keys: the AEAD key and
// k_header_2.
type dirKeys struct {
	data, header [keyLen]byte
}

// dataKeys derives both directions' keys after Session Confirmed and
// wipes the handshake state:
//
//	keydata = HKDF(ck, ZEROLEN, "", 64); k_ab = [0:32], k_ba = [32:64]
//	per direction: keydata = HKDF(k, ZEROLEN, "HKDFSSU2DataKeys", 64)
//	k_data = [0:32], k_header_2 = [32:64]
//
// ab is Alice to Bob.
func dataKeys(sym *noise.SymmetricState) (ab, ba dirKeys) {
	kab, kba := sym.Split()
	ab, ba = expandDirKeys(&kab), expandDirKeys(&kba)
	clear(kab[:])
	clear(kba[:])
	sym.Zero()
	return ab, ba
}

func expandDirKeys(k *[keyLen]byte) dirKeys {
	var d dirKeys
	out := crypto.HKDF(k[:], nil, labelDataKeys, 2*keyLen)
	copy(d.data[:], out)
	copy(d.header[:], out[keyLen:])
	clear(out)
	return d
}

func (d *dirKeys) zero() {
	clear(d.data[:])
	clear(d.header[:])
}
