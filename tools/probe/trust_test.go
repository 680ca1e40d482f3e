package probe

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

// TestUntrustedNeverStarts: whoever calls Probe or ProbeAll, a server the
// registry marked untrusted is neither started nor dialled; the verdict
// says how to trust it.
func TestUntrustedNeverStarts(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dialled := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			dialled <- struct{}{}
			c.Close()
		}
	}()
	hint := "trust it in the client first"
	stdio := registry.Server{Name: "s", Client: registry.Cursor, Transport: registry.Stdio, Command: "sh",
		Raw: registry.Raw{Command: "sh", Args: []registry.Secret{"-c", registry.Secret("touch " + marker)}}, Untrusted: true, TrustHint: hint}
	remote := remoteServer("r", registry.HTTP, "http://"+ln.Addr().String()+"/mcp")
	remote.Untrusted, remote.TrustHint = true, hint
	for _, r := range ProbeAll(context.Background(), []registry.Server{stdio, remote}, quick(), nil) {
		if r.Verdict != NotTrusted || !strings.Contains(r.Summary, hint) {
			t.Errorf("%s: verdict %s %q, want not_trusted with the hint", r.Name, r.Verdict, r.Summary)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("an untrusted stdio server was started")
	}
	select {
	case <-dialled:
		t.Error("an untrusted remote server was dialled")
	default:
	}
}

// TestWorkDirFromRegistry: a server without cwd starts where the registry
// placed it, and the result carries the registry's note.
func TestWorkDirFromRegistry(t *testing.T) {
	dir := t.TempDir()
	s := stdioServer(t, "healthy")
	s.WorkDir, s.WorkDirNote = dir, "started in home: the folder is not trusted"
	r := Probe(context.Background(), s, quick())
	checkResult(t, r, OK)
	if r.Process == nil || r.Process.Dir != dir {
		t.Errorf("process dir = %+v, want %s", r.Process, dir)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), s.WorkDirNote) {
		t.Errorf("notes %v lack the work-dir note", r.Notes)
	}
}
