// Command mkbundle builds mcpmend.mcpb, the Claude Desktop extension bundle
// (MCPB: a zip holding manifest.json and the server), from the repository
// root:
//
//	go run ./cmd/mkbundle [-o mcpmend.mcpb] [-version 1.2.3] [-stage DIR]
//
// It cross-builds mcpmend for darwin/amd64, darwin/arm64, windows/amd64 and
// windows/arm64. MCPB picks a command per OS, not per CPU, so the two macOS
// builds are merged into one universal (fat Mach-O) binary, server/mcpmend,
// which macOS runs natively on either CPU; Windows gets server/mcpmend.exe
// (amd64, which Windows on Arm also runs, emulated) and
// server/mcpmend-arm64.exe, the native build, for those who point the entry
// at it. -stage keeps the unpacked directory, so `mcpb pack DIR` can check
// the same content.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("o", "mcpmend.mcpb", "the bundle to write")
	version := flag.String("version", "", "the version stamped into manifest.json and the binaries (default: manifest.json's)")
	stage := flag.String("stage", "", "build into this directory and keep it (default: a temporary one)")
	flag.Parse()
	if err := run(*out, *version, *stage); err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
}

func run(out, version, stage string) error {
	manifest, err := os.ReadFile("manifest.json")
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	if stage == "" {
		if stage, err = os.MkdirTemp("", "mcpmend-bundle-"); err != nil {
			return err
		}
		defer os.RemoveAll(stage)
	}
	if manifest, version, err = stampManifest(manifest, version); err != nil {
		return err
	}
	server := filepath.Join(stage, "server")
	if err := os.MkdirAll(server, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stage, "manifest.json"), manifest, 0o644); err != nil {
		return err
	}
	if err := buildAll(server, version); err != nil {
		return err
	}
	if err := zipDir(stage, out); err != nil {
		return err
	}
	fmt.Printf("wrote %s (version %s)\n", out, version)
	return nil
}

// stampManifest sets manifest.json's version (keeping the file's layout)
// or, with none given, returns the one it has.
func stampManifest(manifest []byte, version string) ([]byte, string, error) {
	var m struct{ Version string }
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, "", fmt.Errorf("manifest.json: %w", err)
	}
	if version == "" {
		return manifest, m.Version, nil
	}
	version = strings.TrimPrefix(version, "v")
	old := fmt.Sprintf("%q: %q", "version", m.Version)
	if !bytes.Contains(manifest, []byte(old)) {
		return nil, "", errors.New(`manifest.json: write its version as "version": "x.y.z" on one line`)
	}
	return bytes.Replace(manifest, []byte(old), []byte(fmt.Sprintf("%q: %q", "version", version)), 1), version, nil
}

// buildAll cross-builds the four binaries into server/.
func buildAll(server, version string) error {
	tmp, err := os.MkdirTemp("", "mcpmend-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	build := func(goos, goarch, dst string) error {
		ld := "-s -w -X github.com/mcpmend/mcpmend/internal/stamp.Version=" + version
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ld, "-o", dst, "./cmd/mcpmend")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s/%s: %w", goos, goarch, err)
		}
		return nil
	}
	amd, arm := filepath.Join(tmp, "darwin-amd64"), filepath.Join(tmp, "darwin-arm64")
	for _, b := range []struct{ goos, goarch, dst string }{
		{"darwin", "amd64", amd},
		{"darwin", "arm64", arm},
		{"windows", "amd64", filepath.Join(server, "mcpmend.exe")},
		{"windows", "arm64", filepath.Join(server, "mcpmend-arm64.exe")},
	} {
		if err := build(b.goos, b.goarch, b.dst); err != nil {
			return err
		}
	}
	return writeUniversal(filepath.Join(server, "mcpmend"), amd, arm)
}

// zipDir packs dir into a zip at out; server/mcpmend keeps its execute bit.
func zipDir(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name, h.Method = filepath.ToSlash(rel), zip.Deflate
		if !strings.HasSuffix(rel, ".json") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
