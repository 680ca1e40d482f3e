package localstorage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

func TestDecodeItem(t *testing.T) {
	utf16 := func(s string) []byte { return EncodeString(s) }
	tests := []struct {
		name      string
		key, val  []byte
		ok        bool
		origin    string
		itemKey   string
		value     string
		keyEnc    StringEncoding
		valueEnc  StringEncoding
		valueWant []byte // exact encoded value bytes, where it matters
	}{
		{name: "latin1 ascii", key: []byte("_https://claude.ai\x00\x01theme"), val: []byte("\x01dark"), ok: true,
			origin: "https://claude.ai", itemKey: "theme", value: "dark", keyEnc: Latin1, valueEnc: Latin1},
		{name: "latin1 is not utf-8", key: []byte("_file://\x00\x01k"), val: []byte("\x01caf\xe9"), ok: true,
			origin: "file://", itemKey: "k", value: "café", keyEnc: Latin1, valueEnc: Latin1},
		{name: "utf16 emoji", key: []byte("_app://x\x00\x01k"), val: utf16("GitHub 🐙"), ok: true,
			origin: "app://x", itemKey: "k", value: "GitHub 🐙", keyEnc: Latin1, valueEnc: UTF16LE,
			valueWant: []byte{0, 'G', 0, 'i', 0, 't', 0, 'H', 0, 'u', 0, 'b', 0, ' ', 0, 0x3d, 0xd8, 0x19, 0xdc}},
		{name: "utf16 key", key: append([]byte("_https://a.b\x00"), utf16("名前")...), val: []byte("\x01v"), ok: true,
			origin: "https://a.b", itemKey: "名前", value: "v", keyEnc: UTF16LE, valueEnc: Latin1},
		{name: "partitioned storage key", key: []byte("_http://localhost:1/^0http://127.0.0.1\x00\x01note"), val: []byte("\x01p"), ok: true,
			origin: "http://localhost:1/^0http://127.0.0.1", itemKey: "note", value: "p", keyEnc: Latin1, valueEnc: Latin1},
		{name: "NUL inside the item key splits at the first", key: []byte("_o\x00\x01a\x00b"), val: []byte("\x01"), ok: true,
			origin: "o", itemKey: "a\x00b", value: "", keyEnc: Latin1, valueEnc: Latin1},
		{name: "unpaired surrogate", key: []byte("_o\x00\x01k"), val: []byte{0, 0x3d, 0xd8}, ok: true,
			origin: "o", itemKey: "k", value: "\uFFFD", keyEnc: Latin1, valueEnc: UTF16LE},
		{name: "VERSION", key: []byte("VERSION"), val: []byte("1")},
		{name: "META", key: []byte("META:https://claude.ai"), val: []byte{8, 1}},
		{name: "METAACCESS", key: []byte("METAACCESS:https://claude.ai"), val: []byte{8, 1}},
		{name: "no NUL", key: []byte("_https://claude.ai"), val: []byte("\x01v")},
		{name: "empty origin", key: []byte("_\x00\x01k"), val: []byte("\x01v")},
		{name: "empty encoded key", key: []byte("_o\x00"), val: []byte("\x01v")},
		{name: "empty value", key: []byte("_o\x00\x01k"), val: nil},
		{name: "unknown encoding", key: []byte("_o\x00\x02k"), val: []byte("\x01v")},
		{name: "odd utf16", key: []byte("_o\x00\x01k"), val: []byte{0, 'a', 0, 'b'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, ok := DecodeItem(tt.key, tt.val)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if it.Origin != tt.origin || it.Key != tt.itemKey || it.Value.Reveal() != tt.value ||
				it.KeyEncoding != tt.keyEnc || it.ValueEncoding != tt.valueEnc {
				t.Fatalf("got %q %q %q %v %v", it.Origin, it.Key, it.Value.Reveal(), it.KeyEncoding, it.ValueEncoding)
			}
			if tt.valueWant != nil && !bytes.Equal(tt.val, tt.valueWant) {
				t.Fatalf("encoded value % x, want % x", tt.val, tt.valueWant)
			}
		})
	}
}

func TestEncodeStringChoosesLikeChromium(t *testing.T) {
	for s, enc := range map[string]StringEncoding{"": Latin1, "dark": Latin1, "café": Latin1, "ÿ": Latin1, "Ā": UTF16LE, "tools ✓": UTF16LE, "🐙": UTF16LE} {
		b := EncodeString(s)
		if StringEncoding(b[0]) != enc {
			t.Errorf("EncodeString(%q) uses %v, want %v", s, StringEncoding(b[0]), enc)
		}
		if got, _, ok := DecodeString(b); !ok || got != s {
			t.Errorf("round trip of %q gave %q %v", s, got, ok)
		}
	}
	if got := EncodeString("café"); !bytes.Equal(got, []byte("\x01caf\xe9")) {
		t.Errorf("café encodes as % x, want Latin-1 bytes", got)
	}
	if got := ItemRowKey("https://claude.ai", "k"); !bytes.Equal(got, []byte("_https://claude.ai\x00\x01k")) {
		t.Errorf("ItemRowKey = %q", got)
	}
}

// metaProto builds a META: value as Chromium's protobuf encoder does.
func metaProto(us, size uint64, extra ...byte) []byte {
	b := binary.AppendUvarint([]byte{0x08}, us)
	b = append(b, 0x10)
	b = binary.AppendUvarint(b, size)
	return append(b, extra...)
}

func TestDecodeMeta(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC)
	us := uint64(when.Unix()+windowsEpochOffset)*1e6 + uint64(when.Nanosecond()/1e3)
	tests := []struct {
		name string
		val  []byte
		ok   bool
		want OriginMeta
	}{
		{"both fields", metaProto(us, 1234), true, OriginMeta{LastModified: when, Size: 1234}},
		{"unknown fields skipped", metaProto(us, 7, 0x1a, 2, 'h', 'i', 0x25, 1, 2, 3, 4, 0x29, 1, 2, 3, 4, 5, 6, 7, 8), true, OriginMeta{LastModified: when, Size: 7}},
		{"empty message", nil, true, OriginMeta{}},
		{"truncated varint", []byte{0x08, 0x80}, false, OriginMeta{}},
		{"length past end", []byte{0x1a, 5, 'x'}, false, OriginMeta{}},
		{"bad wire type", []byte{0x0b}, false, OriginMeta{}},
		{"fixed64 past end", []byte{0x09, 1, 2}, false, OriginMeta{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DecodeMeta(tt.val)
			if ok != tt.ok || !got.LastModified.Equal(tt.want.LastModified) || got.Size != tt.want.Size {
				t.Fatalf("DecodeMeta = %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzDecodeItem(f *testing.F) {
	f.Add([]byte("_https://claude.ai\x00\x01mcp:github:auth"), []byte("\x01{\"a\":1}"))
	f.Add([]byte("_http://localhost:1/^0http://127.0.0.1\x00\x00k\x00"), []byte{0, 0x3d, 0xd8, 0x19, 0xdc})
	f.Add([]byte("_o\x00\x01caf\xe9"), []byte{0, 0x3d, 0xd8})
	f.Add([]byte("META:x"), []byte{8, 1})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		it, ok := DecodeItem(key, value)
		if !ok {
			return
		}
		if it.Origin == "" || bytes.IndexByte([]byte(it.Origin), 0) >= 0 {
			t.Fatalf("origin %q must be non-empty and NUL-free", it.Origin)
		}
		// What decodes re-encodes to the same text (Chromium may have chosen
		// UTF-16 for Latin-1 text, so bytes may differ but text may not).
		for _, s := range []string{it.Key, it.Value.Reveal()} {
			if back, _, ok := DecodeString(EncodeString(s)); !ok || back != s {
				t.Fatalf("re-encoding %q gave %q", s, back)
			}
		}
		if k2, ok := DecodeItem(ItemRowKey(it.Origin, it.Key), EncodeString(it.Value.Reveal())); !ok || k2.Origin != it.Origin || k2.Key != it.Key {
			t.Fatalf("row key round trip: %+v", k2)
		}
	})
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(metaProto(13_400_000_000_000_000, 141))
	f.Add([]byte("\b\xdf\xd9\u05fa\xea\xf8\xef\x17\x10\x8d\x05"))
	f.Add([]byte{0x1a, 5, 'x'})
	f.Fuzz(func(t *testing.T, val []byte) {
		m, ok := DecodeMeta(val)
		if ok && m.Size < 0 {
			t.Fatalf("negative size from % x", val)
		}
	})
}

func FuzzManifestRecord(f *testing.F) {
	// A goleveldb record: comparer, journal 4, next file 6, seq 20, add
	// table (level 0, #5, 10191 bytes, two keys).
	rec := []byte{1, 26}
	rec = append(rec, "leveldb.BytewiseComparator"...)
	rec = append(rec, 2, 4, 3, 6, 4, 20, 7, 0, 5, 0xcf, 0x4f, 2, 'a', 'b', 1, 'c')
	f.Add(rec)
	f.Add([]byte{5, 1, 3, 'k', 'e', 'y', 6, 0, 9})
	f.Add([]byte{8, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		next, ok, err := recordNextFile(bufio.NewReader(bytes.NewReader(data)))
		if err != nil && (ok || next != 0) {
			t.Fatalf("error %v with a result %d %v", err, next, ok)
		}
	})
}

func TestRecordNextFile(t *testing.T) {
	rec := []byte{1, 26}
	rec = append(rec, "leveldb.BytewiseComparator"...)
	rec = append(rec, 2, 4, 3, 6, 4, 20, 7, 0, 5, 0xcf, 0x4f, 2, 'a', 'b', 1, 'c', 6, 0, 3, 9, 7)
	if next, ok, err := recordNextFile(bufio.NewReader(bytes.NewReader(rec))); err != nil || !ok || next != 6 {
		t.Fatalf("= %d %v %v", next, ok, err)
	}
	for _, bad := range [][]byte{{8, 1}, {3}, {1, 5, 'a'}, {3, 0x80}} {
		if _, _, err := recordNextFile(bufio.NewReader(bytes.NewReader(bad))); err == nil {
			t.Errorf("% x accepted", bad)
		}
	}
}
