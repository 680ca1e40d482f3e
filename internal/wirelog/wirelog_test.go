package wirelog_test

import (
	"fmt"
	"testing"

	"github.com/mcpmend/mcpmend/internal/wirelog"
)

// TestLogReadsAsSent: the newest structured result and the first result
// with a marker come back byte for byte, key order kept; absence is an
// error, not an empty string.
func TestLogReadsAsSent(t *testing.T) {
	var l wirelog.Log
	if _, err := l.LastStructured(); err == nil {
		t.Fatal("an empty log has no structured result")
	}
	fmt.Fprintln(&l, `write: {"jsonrpc":"2.0","id":1,"method":"tools/call"}`)
	fmt.Fprintln(&l, `read: {"jsonrpc":"2.0","id":1,"result":{"structuredContent":{"status":"ok","verdict":"a"}}}`)
	fmt.Fprintln(&l, `read: {"jsonrpc":"2.0","id":2,"result":{"structuredContent":{"z":1,"a":2}}}`)
	if got, err := l.LastStructured(); err != nil || got != `{"z":1,"a":2}` {
		t.Fatalf("LastStructured = %q, %v", got, err)
	}
	if got, err := l.Result(`"verdict"`); err != nil || string(got) != `{"structuredContent":{"status":"ok","verdict":"a"}}` {
		t.Fatalf("Result = %q, %v", got, err)
	}
	if _, err := l.Result("no-such-marker"); err == nil {
		t.Fatal("a marker nobody sent is an error")
	}
}
