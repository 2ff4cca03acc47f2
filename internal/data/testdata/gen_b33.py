#!/usr/bin/env python3
"""Known answers for b33 addresses (b32encrypted.rst), written from the spec
text with Python's zlib.crc32 (the CRC-32 i2pd uses) and base64.b32encode,
independently of veil's Go code. Output: testdata/b33.txt."""
import base64, zlib

def b33(flags, st, bst, pub, two=False):
    if two:
        data = bytes([flags | 1]) + st.to_bytes(2, 'big') + bst.to_bytes(2, 'big') + pub
    else:
        data = bytes([flags, st, bst]) + pub
    c = zlib.crc32(data[3:]) & 0xffffffff
    data = bytes([data[0] ^ (c & 0xff), data[1] ^ ((c >> 8) & 0xff), data[2] ^ ((c >> 16) & 0xff)]) + data[3:]
    return base64.b32encode(data).decode().lower().rstrip('=') + '.b32.i2p'

# The type-7 and type-11 public keys of internal/crypto/testdata/blinding.txt.
keys = {
    7: bytes.fromhex('03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8'),
    11: bytes.fromhex('6b13d0dee8965baec8eafe42e24709c21d1d0e73e774c0d00b32fc105cfc5aeb'),
}
print('# sigType blindedType secret perClient twoByteTypes pubkey address')
for st, pub in keys.items():
    for secret in (0, 1):
        for client in (0, 1):
            flags = secret << 1 | client << 2
            print(st, 11, secret, client, 0, pub.hex(), b33(flags, st, 11, pub))
    print(st, 11, 0, 0, 1, pub.hex(), b33(0, st, 11, pub, two=True))
