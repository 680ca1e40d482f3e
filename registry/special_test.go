package registry

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// indexSpecialNaive is the definition indexSpecial is held to.
func indexSpecialNaive(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return len(b)
}

// TestIndexSpecial: every byte value, as the only special byte or not, at
// every offset of every length up to 100 (so in each of the assembly's
// 32-byte, 16-byte and byte-at-a-time parts), and from every alignment;
// the Go version the same.
func TestIndexSpecial(t *testing.T) {
	buf := make([]byte, 140)
	for n := 0; n <= 100; n++ {
		for off := 0; off < 8; off++ {
			b := buf[off : off+n]
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					for i := range b {
						b[i] = 'a' + byte(i%26)
					}
					b[pos] = byte(c)
					want := indexSpecialNaive(b)
					if got := indexSpecial(b); got != want {
						t.Fatalf("indexSpecial(%q) = %d, want %d", b, got, want)
					}
					if got := indexSpecialGo(b); got != want {
						t.Fatalf("indexSpecialGo(%q) = %d, want %d", b, got, want)
					}
				}
			}
		}
	}
	for range 20000 {
		b := make([]byte, rand.IntN(300))
		for i := range b {
			b[i] = byte(0x20 + rand.IntN(0x60)) // printable, some '"' and '\\'
			if rand.IntN(200) == 0 {
				b[i] = byte(rand.IntN(256))
			}
		}
		if got, want := indexSpecial(b), indexSpecialNaive(b); got != want {
			t.Fatalf("indexSpecial(%q) = %d, want %d", b, got, want)
		}
	}
}

// FuzzIndexSpecial holds both versions to the definition on any input.
func FuzzIndexSpecial(f *testing.F) {
	f.Add([]byte(`plain text then a "quote`))
	f.Add(bytes.Repeat([]byte("x"), 70))
	f.Add([]byte("tab\there"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := indexSpecialNaive(b)
		if got := indexSpecial(b); got != want {
			t.Fatalf("indexSpecial(%q) = %d, want %d", b, got, want)
		}
		if got := indexSpecialGo(b); got != want {
			t.Fatalf("indexSpecialGo(%q) = %d, want %d", b, got, want)
		}
	})
}

// BenchmarkIndexSpecial crosses 1 MB of plain string characters: the
// SSE2 version against the SWAR one in Go.
func BenchmarkIndexSpecial(b *testing.B) {
	data := append(bytes.Repeat([]byte("plain prompt history text "), 1<<20/26), '"')
	for _, v := range []struct {
		name string
		f    func([]byte) int
	}{{"asm", indexSpecial}, {"go", indexSpecialGo}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if v.f(data) != len(data)-1 {
					b.Fatal("wrong index")
				}
			}
		})
	}
}
