module github.com/veil-i2p/veil

go 1.26
