// Package inspect recognises I2P structure files — RouterInfos, router and
// destination private key files (veil's and i2pd's), transport static key
// files, LeaseSets and su3 files — and describes each as one JSON object,
// for `veil inspect`. It only reads; it holds no state.
package inspect
