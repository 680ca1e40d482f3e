package probe

import "testing"

// TestEventIDs: the last id is the one go-sdk records: taken when its
// event ends with a blank line, whatever the line endings and however the
// bytes are split; an empty id, an id whose event never ended and an
// over-long line change nothing.
func TestEventIDs(t *testing.T) {
	long := make([]byte, maxIDLine+10)
	for i := range long {
		long[i] = 'x'
	}
	for _, c := range []struct{ name, stream, want string }{
		{"none", "data: {}\n\n", ""},
		{"lf", "id: 1\ndata: {}\n\nid: 2\ndata: {}\n\n", "2"},
		{"crlf", "id: 7\r\ndata: {}\r\n\r\n", "7"},
		{"cr", "id: 8\rdata: {}\r\r", "8"},
		{"no space", "id:9\n\n", "9"},
		{"empty id keeps the last", "id: 3\n\nid\n\nid:\n\n", "3"},
		{"not dispatched", "id: 4\n\nid: 5\ndata: {}\n", "4"},
		{"comment", ": id: 6\n\n", ""},
		{"too long", "id: 1\n\nid: " + string(long) + "\n\n", "1"},
	} {
		for _, split := range []int{1, 2, 3, 1 << 20} {
			var e eventIDs
			b := []byte(c.stream)
			for len(b) > 0 {
				n := min(split, len(b))
				e.scan(b[:n])
				b = b[n:]
			}
			if e.last != c.want {
				t.Errorf("%s (chunks of %d): last id %q, want %q", c.name, split, e.last, c.want)
			}
		}
	}
}
