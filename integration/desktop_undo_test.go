//go:build unix

package integration

import (
	"context"
	binenc "encoding/binary"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/mcpmend/mcpmend/internal/localstorage"
)

// resetGithub runs `mcpmend reset github` on home and returns the reset's id.
func resetGithub(t *testing.T, home string) string {
	t.Helper()
	out, errOut, code := runCLI(t, home, "--home", home, "reset", "github", "--json")
	var rs struct{ Outcome, ID string }
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil || rs.ID == "" {
		t.Fatalf("reset: %d %s %s", code, out, errOut)
	}
	return rs.ID
}

// desktopWritesThenDies stands in for Claude Desktop after the reset: it
// writes row into the database, then is killed mid-append, leaving half a
// record at the end of its log.
func desktopWritesThenDies(t *testing.T, dir, row, value string) {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte(row), localstorage.EncodeString(value), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	sort.Strings(logs)
	f, err := os.OpenFile(logs[len(logs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	half := binenc.LittleEndian.AppendUint32(nil, 0x5eed1234)
	half = binenc.LittleEndian.AppendUint16(half, 300)
	half = append(half, 1)
	f.Write(append(half, strings.Repeat("\x01cut-short", 8)...))
	f.Close()
}

// TestDesktopUndoKeepsWritesAfterATornLog: undo of a Desktop reset after
// Desktop wrote an item and died mid-append keeps that item, puts github's
// items back, and says it put rows back into the database as LevelDB reads
// it — `mcpmend undo` (exit 0) and the undo_reset tool (its verdict, which
// is what the model reads first).
func TestDesktopUndoKeepsWritesAfterATornLog(t *testing.T) {
	undos := map[string]func(t *testing.T, home, id string) string{
		"mcpmend undo": func(t *testing.T, home, id string) string {
			out, errOut, code := runCLI(t, home, "--home", home, "undo", id)
			if code != 0 {
				t.Fatalf("undo: %d\n%s\n%s", code, out, errOut)
			}
			noSecrets(t, "undo", out, errOut)
			return out
		},
		"undo_reset": func(t *testing.T, home, id string) string {
			res, err := connect(t, home).CallTool(context.Background(), &mcp.CallToolParams{Name: "undo_reset", Arguments: map[string]any{"id": id}})
			if err != nil || res.IsError {
				t.Fatalf("undo_reset: %v %+v", err, res)
			}
			b, _ := json.Marshal(res.StructuredContent)
			var out struct{ Status, Verdict, Outcome string }
			if err := json.Unmarshal(b, &out); err != nil || out.Outcome != "undone" {
				t.Fatalf("undo_reset answered %s", b)
			}
			noSecrets(t, "undo_reset", string(b))
			return out.Verdict
		},
	}
	for name, undo := range undos {
		t.Run(name, func(t *testing.T) {
			home, _, dir := desktopHome(t)
			orig := itemRows(t, dir)
			page, _, _ := origins(t, decodeView(t, orig))
			id := resetGithub(t, home)
			row := string(localstorage.ItemRowKey(page, "written-after-the-reset"))
			desktopWritesThenDies(t, dir, row, "KEEP-ME")
			answer := undo(t, home, id)
			t.Logf("%s:\n%s", name, answer)
			if !strings.Contains(answer, "put back the") || !strings.Contains(answer, "cut short") {
				t.Fatalf("the answer does not say how the store was undone:\n%s", answer)
			}
			want := maps.Clone(orig)
			want[row] = string(localstorage.EncodeString("KEEP-ME"))
			if got := itemRows(t, dir); !maps.Equal(got, want) {
				t.Fatalf("after undo: %d item rows, want %d (the fixture's and the one written since)", len(got), len(want))
			}
		})
	}
}

// TestDesktopUndoRefusesDamageNotOurs: a table damaged after the reset (not
// by mcpmend, and not a torn log) makes `mcpmend undo` refuse, exit 1,
// name the directory and change nothing.
func TestDesktopUndoRefusesDamageNotOurs(t *testing.T) {
	home, _, dir := desktopHome(t)
	id := resetGithub(t, home)
	tables, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	b, _ := os.ReadFile(tables[0])
	for i := len(b) / 3; i < len(b)/3+16; i++ {
		b[i] ^= 0x5a
	}
	os.WriteFile(tables[0], b, 0o644)
	before := snapshotFiles(t, dir)
	out, errOut, code := runCLI(t, home, "--home", home, "undo", id)
	t.Logf("undo:\n%s", out)
	if code != 1 || !strings.Contains(out, "REFUSED") || !strings.Contains(out, dir) || !strings.Contains(out, "undo changed nothing") {
		t.Fatalf("undo of a database damaged by others: %d\n%s\n%s", code, out, errOut)
	}
	if !maps.Equal(snapshotFiles(t, dir), before) {
		t.Fatal("a refused undo changed the database")
	}
}
