package integration

import (
	"archive/zip"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMCPBBundle builds mcpmend.mcpb with `go run ./cmd/mkbundle` and checks
// it with the real @anthropic-ai/mcpb CLI: the manifest validates, `mcpb
// pack` packs the same directory, and our zip holds the manifest and an
// executable server for macOS (universal) and Windows.
func TestMCPBBundle(t *testing.T) {
	mcpb := npmBin(t, "mcpb")
	dir := t.TempDir()
	stage, out := filepath.Join(dir, "stage"), filepath.Join(dir, "mcpmend.mcpb")
	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = ".."
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	run("go", "run", "./cmd/mkbundle", "-o", out, "-stage", stage, "-version", "1.2.3")
	t.Log(run(mcpb, "validate", "manifest.json"))
	t.Log(run(mcpb, "validate", filepath.Join(stage, "manifest.json")))
	packed := run(mcpb, "pack", stage, filepath.Join(dir, "packed.mcpb"))
	t.Log(packed)

	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	for _, name := range []string{"manifest.json", "server/mcpmend", "server/mcpmend.exe", "server/mcpmend-arm64.exe"} {
		f, ok := files[name]
		if !ok {
			t.Fatalf("%s is missing from the bundle (%v)", name, files)
		}
		if strings.HasPrefix(name, "server/") && f.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable: %v", name, f.Mode())
		}
	}
	rc, _ := files["manifest.json"].Open()
	defer rc.Close()
	buf := make([]byte, 1<<16)
	n, _ := rc.Read(buf)
	if !strings.Contains(string(buf[:n]), `"version": "1.2.3"`) {
		t.Errorf("the bundled manifest is not stamped with the version:\n%s", buf[:n])
	}
}
