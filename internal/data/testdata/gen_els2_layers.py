#!/usr/bin/env python3
"""Known answers for the two encryption layers of an EncryptedLeaseSet
(encryptedleaseset.rst, "Layer 1 encryption" .. "Pre-shared key client
authorization"), written from the spec text with the Python 'cryptography'
package, independently of veil's Go code. Output: testdata/els2_layers.txt.

The 'rand' field lists the random bytes in the order veil's sealLayers
reads them: authCookie, then esk (DH) or authSalt (PSK), then 8 bytes per
Fisher-Yates step (j = big-endian uint64 mod (i+1), i from n-1 down to 1),
then innerSalt, then outerSalt."""
import hashlib
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

def hkdf(salt, ikm, info, n):
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=info.encode()).derive(ikm)

def stream(okm, data):
    # STREAM: ChaCha20 (RFC 7539) with the initial block counter 1.
    c = Cipher(algorithms.ChaCha20(okm[:32], (1).to_bytes(4, 'little') + okm[32:44]), mode=None)
    return c.encryptor().update(data)

def rnd(label, n=32):
    return hashlib.sha256(label.encode()).digest()[:n]

# The subcredential of the first vector of internal/crypto/testdata/blinding.txt
# (date 20260101); published is 2026-01-01 12:00:00 UTC.
subcred = bytes.fromhex('f9f88f620c3ef84715af9eaf57aaec0fe378ffef4f1b9c5a2722a0c103562757')
published = 1767268800
pub4 = published.to_bytes(4, 'big')
pt = bytes([3]) + bytes(range(200))

def seal(scheme, clients):
    used = []
    def take(label, n=32):
        b = rnd(label, n)
        used.append(b)
        return b
    l1 = bytes([scheme])
    cookie = b''
    if scheme:
        cookie = take('cookie')
        salt = take('esk' if scheme == 1 else 'authSalt')
        if scheme == 1:
            esk = X25519PrivateKey.from_private_bytes(salt)
            salt = esk.public_key().public_bytes_raw()
        order = list(clients)
        for i in range(len(order) - 1, 0, -1):
            j = int.from_bytes(take('shuffle%d' % i, 8), 'big') % (i + 1)
            order[i], order[j] = order[j], order[i]
        l1 += salt + len(order).to_bytes(2, 'big')
        for k in order:
            if scheme == 1:
                ss = esk.exchange(X25519PublicKey.from_public_bytes(k))
                okm = hkdf(salt, ss + k + subcred + pub4, 'ELS2_XCA', 52)
            else:
                okm = hkdf(salt, k + subcred + pub4, 'ELS2PSKA', 52)
            l1 += okm[44:52] + stream(okm, cookie)
    inner_salt = take('innerSalt')
    okm = hkdf(inner_salt, cookie + subcred + pub4, 'ELS2_L2K', 44)
    l1 += inner_salt + stream(okm, pt)
    outer_salt = take('outerSalt')
    okm = hkdf(outer_salt, subcred + pub4, 'ELS2_L1K', 44)
    return b''.join(used), outer_salt + stream(okm, l1)

privs = [rnd('client%d' % i) for i in range(3)]
pubs = [X25519PrivateKey.from_private_bytes(p).public_key().public_bytes_raw() for p in privs]
psks = [rnd('psk%d' % i) for i in range(3)]

print('# scheme subcredential published rand clientKeys(server side) clientSecrets(client side) plaintext ciphertext')
for scheme, server, client in ((0, [], []), (1, pubs, privs), (3, psks, psks)):
    r, ct = seal(scheme, server)
    print(scheme, subcred.hex(), published, r.hex() or '-',
          ','.join(k.hex() for k in server) or '-', ','.join(k.hex() for k in client) or '-',
          pt.hex(), ct.hex())
