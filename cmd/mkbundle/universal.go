package main

import (
	"debug/macho"
	"encoding/binary"
	"fmt"
	"os"
)

// fatAlign is the alignment of each slice in a universal binary: 2^14, the
// arm64 page size, as lipo uses.
const fatAlign = 14

// writeUniversal merges thin Mach-O files into one universal ("fat")
// binary, as `lipo -create` does: a big-endian header listing each slice's
// CPU type, offset and size, then the slices, each page-aligned.
func writeUniversal(dst string, thin ...string) error {
	type slice struct {
		cpu, sub uint32
		data     []byte
	}
	var slices []slice
	for _, p := range thin {
		f, err := macho.Open(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		cpu, sub := uint32(f.Cpu), f.SubCpu
		f.Close()
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		slices = append(slices, slice{cpu, sub, data})
	}
	align := uint32(1) << fatAlign
	hdr := make([]byte, 8+20*len(slices))
	binary.BigEndian.PutUint32(hdr[0:], macho.MagicFat)
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(slices)))
	offset := align
	var body []byte
	for i, s := range slices {
		a := hdr[8+20*i:]
		binary.BigEndian.PutUint32(a[0:], s.cpu)
		binary.BigEndian.PutUint32(a[4:], s.sub)
		binary.BigEndian.PutUint32(a[8:], offset)
		binary.BigEndian.PutUint32(a[12:], uint32(len(s.data)))
		binary.BigEndian.PutUint32(a[16:], fatAlign)
		pad := int(offset) - len(hdr) - len(body)
		body = append(body, make([]byte, pad)...)
		body = append(body, s.data...)
		offset += (uint32(len(s.data)) + align - 1) / align * align
	}
	return os.WriteFile(dst, append(hdr, body...), 0o755)
}
