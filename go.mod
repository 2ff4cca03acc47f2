module github.com/veil-i2p/veil

go 1.26

require (
	filippo.io/edwards25519 v1.2.0
	pgregory.net/rapid v1.3.0
)
