package probe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

// resolveAlone is Resolve as it was before the Resolver: a prober of its
// own, with its own copy of the environment, a command built and every text
// redacted afresh.
func resolveAlone(s registry.Server, opts Options) (Result, bool) {
	if s.Transport != registry.Stdio {
		return Result{}, true
	}
	p := newProber(s, opts.withDefaults())
	_, ev, err := p.stdioCommand()
	p.r.Process = ev
	if err == nil {
		return p.r, true
	}
	p.note("the server was not started: only its command was looked up")
	return p.r, false
}

// TestResolverSharesNothingItShouldNot: one Resolver answering many servers
// at once (as a checkup does, on every core) gives each exactly what a
// Resolve of its own gives — a server's configured PATH finds its command
// and does not leak into the next server's lookup, canary secrets from the
// entry and from the inherited environment are scrubbed, and repeated texts
// come out the same from the memo. Run with -race: the shared environment
// is only read.
func TestResolverSharesNothingItShouldNot(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the command found is a shell script")
	}
	bin := t.TempDir()
	tool := filepath.Join(bin, "only-here")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const entryCanary, envCanary = "sk-entrycanary0123456789abcdef", "ghp_envcanary0123456789abcdefABCDEF"
	home := t.TempDir()
	opts := Options{Environ: []string{"PATH=/nonexistent-mcpmend", "HOME=" + home, "GITHUB_TOKEN=" + envCanary}}
	stdio := func(name, command string, env ...registry.EnvVar) registry.Server {
		return registry.Server{Name: name, Client: registry.ClaudeCode, Transport: registry.Stdio, Command: command,
			Raw: registry.Raw{Command: registry.Secret(command), Env: env}}
	}
	servers := []registry.Server{
		stdio("missing", "no-such-mcpmend-command"),
		stdio("own-path", "only-here", registry.EnvVar{Name: "PATH", Value: registry.Secret(bin)}),
		stdio("after-own-path", "only-here"),
		stdio("entry-secret", "${API_KEY}-missing", registry.EnvVar{Name: "API_KEY", Value: entryCanary}),
		stdio("env-secret", "${GITHUB_TOKEN}"),
		stdio("unset", "${NOT_SET_MCPMEND}"),
		stdio("no-command", ""),
		{Name: "remote", Client: registry.ClaudeCode, Transport: registry.HTTP, URL: "https://example.invalid/mcp"},
	}
	dir := stdio("bad-dir", "only-here", registry.EnvVar{Name: "PATH", Value: registry.Secret(bin)})
	dir.Cwd = filepath.Join(home, "gone")
	servers = append(servers, dir)
	// A relative PATH entry is looked up from each server's own folder: the
	// remembered lookups must not carry one folder's answer to another.
	here, there := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(here, "rel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(here, "rel", "rel-only"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{here, there, here} {
		s := stdio("relative-path", "rel-only", registry.EnvVar{Name: "PATH", Value: "rel"})
		s.Cwd = d
		servers = append(servers, s)
	}
	type answer struct {
		r  Result
		ok bool
	}
	want := make([]answer, len(servers))
	for i, s := range servers {
		want[i].r, want[i].ok = resolveAlone(s, opts)
	}
	if n := len(servers); want[n-3].ok != true || want[n-2].ok != false {
		t.Fatalf("reference: a relative PATH entry found %v from its folder, %v from another", want[n-3].ok, want[n-2].ok)
	}
	if want[1].ok != true || want[2].ok != false || want[0].ok != false {
		t.Fatalf("reference: own-path %v, after-own-path %v, missing %v", want[1].ok, want[2].ok, want[0].ok)
	}
	rv := NewResolver(opts)
	const rounds = 20
	got := make([]answer, rounds*len(servers))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i].r, got[i].ok = rv.Resolve(servers[i%len(servers)]) })
	}
	wg.Wait()
	for i, g := range got {
		w := want[i%len(servers)]
		if g.ok != w.ok || !reflect.DeepEqual(g.r, w.r) {
			t.Errorf("%s: shared Resolver gave %v %+v, alone %v %+v", servers[i%len(servers)].Name, g.ok, g.r, w.ok, w.r)
		}
		b, _ := json.Marshal(g.r)
		if strings.Contains(string(b), entryCanary) || strings.Contains(string(b), envCanary) {
			t.Errorf("%s: a canary secret in %s", servers[i%len(servers)].Name, b)
		}
	}
}
