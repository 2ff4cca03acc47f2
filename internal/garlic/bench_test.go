//go:build unix

package garlic

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Benchmarks of New Session and Existing Session messages, encrypt and
// decrypt, with a 1 KiB clove (a streaming packet's size):
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./internal/garlic/
//
// Each reports msg/cpu-s: messages per CPU-second of the whole process
// (getrusage user + system, garbage collection included), which is the
// rate per core and does not depend on the machine's other load, as
// ns/op does. Message generation for the decrypt benchmarks runs with
// both clocks stopped.

// cpuTime is the process's CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// chunked runs b.N messages in chunks: gen makes up to n messages with the
// clocks stopped, use handles one with them running.
func chunked(b *testing.B, gen func(n int) [][]byte, use func([]byte)) {
	chunkedAfter(b, gen, use, nil)
}

// chunkedAfter is chunked with after run on each chunk, clocks stopped.
func chunkedAfter(b *testing.B, gen func(n int) [][]byte, use func([]byte), after func()) {
	b.ReportAllocs()
	var cpu time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		msgs := gen(min(b.N-done, 512))
		b.StartTimer()
		start := cpuTime(b)
		for _, m := range msgs {
			use(m)
		}
		cpu += cpuTime(b) - start
		done += len(msgs)
		if after != nil {
			b.StopTimer()
			after()
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "msg/cpu-s")
}

var benchTypes = []crypto.EncType{crypto.EncX25519, crypto.EncMLKEM768X25519}

func BenchmarkNewSession(b *testing.B) {
	payload := dataClove(string(make([]byte, 1024)))
	for _, typ := range benchTypes {
		b.Run(fmt.Sprintf("encrypt/%v", typ), func(b *testing.B) {
			a, bob := newNode(b), newNode(b, typ)
			n := 0
			chunked(b, func(k int) [][]byte { return make([][]byte, k) }, func([]byte) {
				if _, err := a.e.Encrypt(t0, bob.remote, payload); err != nil {
					b.Fatal(err)
				}
				if n++; n%64 == 0 {
					a.e.Forget(bob.key()) // keep one peer's state, as many NS to many peers would
				}
			})
		})
		b.Run(fmt.Sprintf("decrypt/%v", typ), func(b *testing.B) {
			a, bob := newNode(b), newNode(b, typ)
			chunked(b, func(k int) [][]byte {
				out := make([][]byte, k)
				for i := range out {
					s, err := a.e.Encrypt(t0, bob.remote, payload)
					if err != nil {
						b.Fatal(err)
					}
					out[i] = s.Body
				}
				a.e.Forget(bob.key())
				return out
			}, func(body []byte) {
				if _, err := bob.e.Decrypt(t0, body); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkExistingSession(b *testing.B) {
	payload := dataClove(string(make([]byte, 1024)))
	b.Run("encrypt", func(b *testing.B) {
		a, bob := newNode(b), newNode(b)
		establish(b, a, bob, t0)
		var sent [][]byte
		chunkedAfter(b, func(k int) [][]byte { return make([][]byte, k) }, func([]byte) {
			s, err := a.e.Encrypt(t0, bob.remote, payload)
			if err != nil || s.Kind != KindExistingSession {
				b.Fatal(s.Kind, err)
			}
			sent = append(sent, s.Body)
		}, func() {
			// Deliver the chunk and answer, so that DH ratchets complete.
			for _, body := range sent {
				if _, err := bob.e.Decrypt(t0, body); err != nil {
					b.Fatal(err)
				}
			}
			sent = sent[:0]
			r, _ := bob.e.Encrypt(t0, a.remote)
			if _, err := a.e.Decrypt(t0, r.Body); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("decrypt", func(b *testing.B) {
		a, bob := newNode(b), newNode(b)
		establish(b, a, bob, t0)
		chunked(b, func(k int) [][]byte {
			// Bob's answer carries his reverse keys when a ratchet is on.
			r, err := bob.e.Encrypt(t0, a.remote)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.e.Decrypt(t0, r.Body); err != nil {
				b.Fatal(err)
			}
			out := make([][]byte, k)
			for i := range out {
				s, err := a.e.Encrypt(t0, bob.remote, payload)
				if err != nil || s.Kind != KindExistingSession {
					b.Fatal(s.Kind, err)
				}
				out[i] = s.Body
			}
			return out
		}, func(body []byte) {
			if _, err := bob.e.Decrypt(t0, body); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkElGamalNewSession: the legacy New Session, one ElGamal
// encryption or decryption (2048-bit exponentiations) each.
func BenchmarkElGamalNewSession(b *testing.B) {
	payload := dataClove(string(make([]byte, 1024)))
	bob, key := newElGamalNode(b)
	alice := newNode(b)
	b.Run("encrypt", func(b *testing.B) {
		chunked(b, func(k int) [][]byte { return make([][]byte, min(k, 64)) }, func([]byte) {
			if _, err := alice.e.Encrypt(t0, key, payload); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("decrypt", func(b *testing.B) {
		chunked(b, func(k int) [][]byte {
			out := make([][]byte, min(k, 64))
			for i := range out {
				s, err := alice.e.Encrypt(t0, key, payload)
				if err != nil {
					b.Fatal(err)
				}
				out[i] = s.Body
			}
			return out
		}, func(body []byte) {
			if _, err := bob.e.Decrypt(t0, body); err != nil {
				b.Fatal(err)
			}
		})
	})
}
