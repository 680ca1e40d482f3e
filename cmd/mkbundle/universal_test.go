package main

import (
	"debug/macho"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWriteUniversal builds a tiny program for both macOS CPUs, merges them
// and reads the result back with debug/macho: two slices, the right CPUs,
// each byte for byte the thin file.
func TestWriteUniversal(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644)
	var thin []string
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(dir, arch)
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+arch, "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", arch, err, b)
		}
		thin = append(thin, out)
	}
	fat := filepath.Join(dir, "fat")
	if err := writeUniversal(fat, thin...); err != nil {
		t.Fatal(err)
	}
	ff, err := macho.OpenFat(fat)
	if err != nil {
		t.Fatal(err)
	}
	defer ff.Close()
	want := []macho.Cpu{macho.CpuAmd64, macho.CpuArm64}
	if len(ff.Arches) != 2 {
		t.Fatalf("%d slices", len(ff.Arches))
	}
	whole, _ := os.ReadFile(fat)
	for i, a := range ff.Arches {
		data, _ := os.ReadFile(thin[i])
		if a.Cpu != want[i] || a.Offset%(1<<fatAlign) != 0 || string(whole[a.Offset:a.Offset+a.Size]) != string(data) {
			t.Errorf("slice %d: cpu %v offset %d size %d", i, a.Cpu, a.Offset, a.Size)
		}
	}
}
