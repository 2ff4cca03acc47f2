package i2np

import "crypto/sha256"

func sha256First(b []byte) byte {
	s := sha256.Sum256(b)
	return s[0]
}
