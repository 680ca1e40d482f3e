package localstorage

import (
	"bytes"
	"encoding/binary"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Row formats of Chromium's Local Storage database
// (components/services/storage/dom_storage/local_storage_impl.cc), as
// measured in doc.go. The storage key (origin, or origin +
// "/^0" + top-level site when partitioned) is never hard-coded: it is whatever
// sits between the prefix and the first NUL.
const (
	VersionKey       = "VERSION"
	MetaPrefix       = "META:"
	MetaAccessPrefix = "METAACCESS:"
	ItemPrefix       = '_'
)

// StringEncoding is how Chromium stored one localStorage string: the first
// byte of the encoded form.
type StringEncoding byte

// The two encodings Chromium writes. Latin-1 is one byte per character and is
// not UTF-8: "café" is "caf\xE9". Any character above U+00FF makes the whole
// string UTF-16LE, so a byte search for a name must use the right encoding.
const (
	UTF16LE StringEncoding = 0
	Latin1  StringEncoding = 1
)

// String names the encoding for messages.
func (e StringEncoding) String() string {
	if e == Latin1 {
		return "Latin-1"
	}
	return "UTF-16"
}

// Item is one decoded localStorage item. Value may hold a token: it is a
// Secret so that printing an Item never shows it.
type Item struct {
	Origin        string // storage key: origin, plus "/^0"+site when partitioned
	Key           string // the item's key as the page set it
	Value         Secret // the item's value; Reveal only to match or back up
	KeyEncoding   StringEncoding
	ValueEncoding StringEncoding
}

// DecodeItem decodes one row of a Local Storage database. It returns false for
// rows that are not items (VERSION, META:, METAACCESS:) and for item rows
// that do not decode (no NUL, unknown encoding byte, odd UTF-16 length).
func DecodeItem(key, value []byte) (Item, bool) {
	origin, rawKey, ok := SplitItemKey(key)
	if !ok {
		return Item{}, false
	}
	k, kenc, ok := DecodeString(rawKey)
	if !ok {
		return Item{}, false
	}
	v, venc, ok := DecodeString(value)
	if !ok {
		return Item{}, false
	}
	return Item{Origin: string(origin), Key: k, Value: Secret(v), KeyEncoding: kenc, ValueEncoding: venc}, true
}

// SplitItemKey splits "_<storage key>\x00<encoded key>" at the first NUL.
// Storage keys never contain NUL; item keys may, so only the first counts.
func SplitItemKey(key []byte) (origin, encodedKey []byte, ok bool) {
	if len(key) < 2 || key[0] != ItemPrefix {
		return nil, nil, false
	}
	i := bytes.IndexByte(key, 0)
	if i < 2 { // "_" then at least one byte of storage key
		return nil, nil, false
	}
	return key[1:i], key[i+1:], true
}

// DecodeString decodes one encoded Local Storage string.
func DecodeString(b []byte) (string, StringEncoding, bool) {
	if len(b) == 0 {
		return "", 0, false
	}
	switch StringEncoding(b[0]) {
	case Latin1:
		return decodeLatin1(b[1:]), Latin1, true
	case UTF16LE:
		s, ok := decodeUTF16LE(b[1:])
		return s, UTF16LE, ok
	}
	return "", 0, false
}

// decodable reports whether DecodeString accepts b, without decoding it.
func Decodable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch StringEncoding(b[0]) {
	case Latin1:
		return true
	case UTF16LE:
		return len(b)%2 == 1
	}
	return false
}

func decodeLatin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	out := make([]rune, len(b))
	for i, c := range b {
		out[i] = rune(c)
	}
	return string(out)
}

// decodeUTF16LE decodes little-endian UTF-16. Unpaired surrogates (which a
// page can store) become U+FFFD, as in any display of them.
func decodeUTF16LE(b []byte) (string, bool) {
	if len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), true
}

// EncodeString encodes s the way Chromium does: Latin-1 when every character
// fits in one byte, UTF-16LE otherwise.
func EncodeString(s string) []byte {
	latin := true
	n := 0
	for _, r := range s {
		n++
		if r > 0xFF {
			latin = false
		}
	}
	if latin {
		out := make([]byte, 0, 1+n)
		out = append(out, byte(Latin1))
		for _, r := range s {
			out = append(out, byte(r))
		}
		return out
	}
	u := utf16.Encode([]rune(s))
	out := make([]byte, 1, 1+2*len(u))
	out[0] = byte(UTF16LE)
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

// ItemRowKey is the database key of an item: "_" + storage key + NUL +
// encoded key.
func ItemRowKey(origin, key string) []byte {
	out := make([]byte, 0, 2+len(origin)+len(key))
	out = append(out, ItemPrefix)
	out = append(out, origin...)
	out = append(out, 0)
	return append(out, EncodeString(key)...)
}

// OriginMeta is the decoded META:<storage key> row: a protobuf with field 1
// last modified (µs since 1601-01-01 UTC) and field 2 the size in bytes.
// Chromium recomputes the size on its next write, so a stale one is harmless.
type OriginMeta struct {
	LastModified time.Time `json:"last_modified"`
	Size         int64     `json:"size"`
}

// windowsEpochOffset is the seconds between 1601-01-01 and 1970-01-01.
const windowsEpochOffset = 11644473600

// DecodeMeta decodes a META: row's value. Unknown fields are skipped, as
// protobuf readers do; a malformed message returns false.
func DecodeMeta(value []byte) (OriginMeta, bool) {
	var m OriginMeta
	for len(value) > 0 {
		tag, n := binary.Uvarint(value)
		if n <= 0 {
			return OriginMeta{}, false
		}
		value = value[n:]
		field, wire := tag>>3, tag&7
		var v uint64
		switch wire {
		case 0:
			v, n = binary.Uvarint(value)
		case 1:
			n = 8
		case 5:
			n = 4
		case 2:
			var l uint64
			l, n = binary.Uvarint(value)
			if n > 0 {
				if l > uint64(len(value)-n) {
					return OriginMeta{}, false
				}
				n += int(l)
			}
		default:
			return OriginMeta{}, false
		}
		if n <= 0 || n > len(value) {
			return OriginMeta{}, false
		}
		value = value[n:]
		if wire != 0 {
			continue
		}
		switch field {
		case 1:
			if v > 1<<62 {
				return OriginMeta{}, false
			}
			us := int64(v)
			m.LastModified = time.Unix(us/1e6-windowsEpochOffset, (us%1e6)*1e3).UTC()
		case 2:
			if v > 1<<62 {
				return OriginMeta{}, false
			}
			m.Size = int64(v)
		}
	}
	return m, true
}
