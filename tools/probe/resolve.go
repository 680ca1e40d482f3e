package probe

import "github.com/mcpmend/mcpmend/registry"

// Resolve checks, without starting or dialling anything, what Probe's first
// phase checks for a stdio server: its configuration expands as the client
// expands it, its working directory exists and its command is found on the
// PATH the client passes. ok is false when that already fails; r then holds
// the verdict (CommandNotFound, ConfigError) exactly as Probe would report
// it. Remote servers are not judged here: ok is true.
func Resolve(s registry.Server, opts Options) (r Result, ok bool) {
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
