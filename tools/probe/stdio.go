package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// stderrTailBytes bounds the stderr kept per process.
const stderrTailBytes = 4096

// stdio probes a stdio server: expand its configuration as its client does,
// resolve the command on the merged PATH, start it in its own process group,
// walk the session, and end the whole group.
//
// The timeout starts once a start slot is free (ProbeAll's gate), and the
// slot is given back when the handshake ends.
func (p *prober) stdio(ctx context.Context) {
	start := time.Now()
	cmd, ev, err := p.stdioCommand()
	p.r.Process = ev
	p.phase(PhaseConfig, time.Since(start), err, nil)
	if err != nil {
		return // stdioCommand set the verdict
	}
	if !p.acquireStart(ctx) {
		p.fail(PhaseConnect, Cancelled, "the probe was cancelled while waiting to start the server", ctx.Err())
		return
	}
	defer p.releaseStart()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	p.noise = &noiseLog{}
	sp := &stdioProc{cmd: cmd, stderr: newTail(stderrTailBytes), grace: p.opts.Grace, exited: make(chan struct{}), noise: p.noise}
	log := newRPCLog()
	t := &timedTransport{inner: sp, log: log, wrap: true, onClose: sp.close}
	f := p.runSession(ctx, t)
	sp.close(nil) // idempotent: the SDK has usually closed it already
	p.stdioEvidence(sp)
	p.noiseEvidence()
	if f != nil {
		p.classifyStdio(ctx, sp, f)
	}
}

// noiseEvidence reports stdout lines that were skipped.
func (p *prober) noiseEvidence() {
	lines, total := p.noise.get()
	if total == 0 {
		return
	}
	for _, l := range lines {
		p.r.Process.StdoutNoise = append(p.r.Process.StdoutNoise, p.clean(l))
	}
	p.r.Process.StdoutNoiseLines = total
	p.note("the server prints logs on stdout (%d line(s) that are not JSON-RPC, first: %q); Claude Code tolerates it and skips them, strict clients may not — logs belong on stderr", total, p.r.Process.StdoutNoise[0])
}

// stdioCommand builds the command exactly as the client would start it. On a
// configuration problem it sets the verdict and returns an error.
func (p *prober) stdioCommand() (*exec.Cmd, *ProcessEvidence, error) {
	s := p.s
	ev := &ProcessEvidence{Command: p.r.Target}
	missing := map[string]bool{}
	exp := func(v string) string {
		if expands(s.Client) {
			return expandVars(v, p.env, missing)
		}
		return v
	}
	command := s.Raw.Command.Reveal()
	if command == "" { // a Server built by hand, not by the registry
		command = s.Command
	}
	command = exp(command)
	args := make([]string, len(s.Raw.Args))
	for i, a := range s.Raw.Args {
		args[i] = exp(a.Reveal())
	}
	env := p.env // shared and only read: copied below before any change
	if p.resolver == nil || len(s.Raw.Env) > 0 {
		env = make(map[string]string, len(p.env)+len(s.Raw.Env)+1)
		for k, v := range p.env {
			env[k] = v
		}
	}
	for _, e := range s.Raw.Env {
		v := exp(e.Value.Reveal())
		envSet(env, e.Name, v, runtime.GOOS) // a configured PATH replaces Windows' inherited Path
		if registry.IsSecretName(e.Name) || registry.LooksLikeCredential(v) {
			p.addSecret(v)
		}
	}
	// Every process the server starts inherits this mark, even one that
	// leaves the process group: it is how the probe finds them at the end.
	if p.resolver == nil {
		env[probeMarkEnv] = newProbeMark()
	}
	if len(missing) > 0 {
		ev.UnsetVars = sortedKeys(missing)
		p.note("unset variables left as written, as the client leaves them: %s", strings.Join(ev.UnsetVars, ", "))
	}
	dir := p.workDir(exp)
	ev.Dir = dir
	if s.Cwd == "" && s.WorkDirNote != "" {
		p.note("%s", s.WorkDirNote)
	}
	if strings.TrimSpace(command) == "" {
		err := errors.New("no command configured")
		p.fail(PhaseConfig, ConfigError, "the entry has no command to run", err)
		return nil, ev, err
	}
	stat, look := os.Stat, lookPath
	if p.resolver != nil {
		stat, look = p.resolver.statDir, p.resolver.lookPath
	}
	if st, err := stat(dir); err != nil || !st.IsDir() {
		err = fmt.Errorf("working directory %s: %w", dir, errors.Join(err, errNotDir(st)))
		p.fail(PhaseConfig, ConfigError, "the working directory "+dir+" does not exist", err)
		return nil, ev, err
	}
	path, err := look(command, lookupEnv(env, "PATH"), dir)
	if err != nil {
		p.fail(PhaseConfig, CommandNotFound, fmt.Sprintf("%q was not found on the PATH the client passes to it", command), err)
		return nil, ev, err
	}
	ev.Resolved = path
	if p.resolver != nil { // nothing will be started
		return nil, ev, nil
	}
	cmd := &exec.Cmd{Path: path, Args: append([]string{command}, args...), Env: environList(env), Dir: dir}
	return cmd, ev, nil
}

func errNotDir(st os.FileInfo) error {
	if st != nil && !st.IsDir() {
		return errors.New("not a directory")
	}
	return nil
}

// workDir is where the server runs: its configured cwd, else where the
// registry says its client would start it (WorkDir: a trusted project's
// folder, else home), else its project directory, else Options.Dir, else
// the home of the environment it runs with — never mcpmend's own directory
// by default, where a repository's node_modules/.bin could shadow what npx
// runs.
func (p *prober) workDir(exp func(string) string) string {
	switch {
	case p.s.Cwd != "":
		return exp(p.s.Cwd)
	case p.s.WorkDir != "":
		return p.s.WorkDir
	case p.s.Project != "":
		return p.s.Project
	case p.opts.Dir != "":
		return p.opts.Dir
	}
	if home := lookupEnv(p.env, "HOME"); home != "" {
		return home
	}
	if home := lookupEnv(p.env, "USERPROFILE"); home != "" {
		return home
	}
	wd, _ := os.Getwd()
	return wd
}

// lookPath finds file the way a spawned child's PATH would: a name with a
// separator is taken relative to dir, a bare name is searched in pathEnv
// (the merged environment's PATH, not mcpmend's own).
func lookPath(file, pathEnv, dir string) (string, error) {
	if strings.ContainsAny(file, `/\`) {
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		return exec.LookPath(file)
	}
	var firstErr error
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p, err := exec.LookPath(filepath.Join(d, file))
		if err == nil {
			return p, nil
		}
		if firstErr == nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, exec.ErrNotFound) {
			firstErr = err // e.g. found but not executable
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", fmt.Errorf("%s: %w (searched %d PATH directories)", file, exec.ErrNotFound, len(filepath.SplitList(pathEnv)))
}

// stdioProc is a Transport that runs the command in its own process group
// and, on close, makes sure no process of that group outlives the probe.
// All three standard streams are os.Pipes the probe owns, so cmd.Wait waits
// for the process alone — never for a grandchild holding a pipe open — and
// output the child wrote just before exiting is still read.
type stdioProc struct {
	cmd    *exec.Cmd
	group  procGroup
	stderr *tailBuffer
	grace  time.Duration
	noise  *noiseLog

	conn            mcp.Connection
	stdinW, stderrR *os.File
	stderrDone      chan struct{}
	stdoutEOF       atomic.Bool

	exited    chan struct{}
	closing   atomic.Bool
	ownExit   bool // exited before the probe began closing it
	escalated string
	closeOnce sync.Once
}

func (sp *stdioProc) Connect(ctx context.Context) (mcp.Connection, error) {
	var files []*os.File
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, err
	}
	sp.cmd.Stdin, sp.cmd.Stdout, sp.cmd.Stderr = inR, outW, errW
	sp.cmd.WaitDelay = time.Second
	prepare(sp.cmd)
	becomeSubreaper()
	if err := sp.cmd.Start(); err != nil {
		closeAll()
		return nil, err
	}
	inR.Close()
	outW.Close()
	errW.Close()
	// On Unix this cannot fail; on Windows without a job object, kill
	// falls back to taskkill /T while the leader lives.
	_ = sp.group.attach(sp.cmd)
	sp.stdinW, sp.stderrR, sp.stderrDone = inW, errR, make(chan struct{})
	go func() {
		_, _ = io.Copy(sp.stderr, errR)
		close(sp.stderrDone)
	}()
	go func() {
		_ = sp.cmd.Wait()
		sp.ownExit = !sp.closing.Load()
		close(sp.exited)
	}()
	out := newNoiseFilter(outR, &sp.stdoutEOF, sp.noise)
	conn, err := (&mcp.IOTransport{Reader: out, Writer: inW, MaxLineLength: maxStdioLine}).Connect(ctx)
	sp.conn = conn
	return conn, err
}

func (sp *stdioProc) waitExit(d time.Duration) bool {
	select {
	case <-sp.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// close shuts the server down as the MCP spec asks — close stdin, wait,
// SIGTERM, wait, SIGKILL — but for the whole process group, and then ends
// whatever the leader left behind. It is idempotent.
func (sp *stdioProc) close(mcp.Connection) error {
	sp.closeOnce.Do(func() {
		if sp.stdinW == nil { // never started
			return
		}
		if sp.stdoutEOF.Load() {
			sp.waitExit(sp.grace) // let a crash be seen as one
		}
		sp.closing.Store(true)
		sp.stdinW.Close()
		if !sp.waitExit(sp.grace) {
			sp.escalated = "SIGTERM"
			sp.group.terminate()
			if !sp.waitExit(sp.grace) {
				sp.escalated = "SIGKILL"
				sp.group.kill()
				sp.waitExit(5 * time.Second)
			}
		}
		sp.group.reap(sp.grace)
		sp.group.release()
		// Whatever escaped the group (setsid, a double fork) still carries
		// the probe's mark.
		killMarked(markOf(sp.cmd.Env))
		if sp.conn != nil {
			sp.conn.Close() // closes our ends of stdin and stdout
		}
		select {
		case <-sp.stderrDone:
		case <-time.After(time.Second):
		}
		sp.stderrR.Close()
	})
	return nil
}

// stdioEvidence fills the process evidence once the process is gone.
func (p *prober) stdioEvidence(sp *stdioProc) {
	ev := p.r.Process
	ev.StderrTail = p.scrub(sp.stderr.String())
	select {
	case <-sp.exited:
	default:
		return // never started
	}
	st := sp.cmd.ProcessState
	if sp.ownExit && st != nil {
		if sig := signalName(st.Sys()); sig != "" {
			ev.Signal = sig
		} else {
			code := st.ExitCode()
			ev.ExitCode = &code
		}
	}
	if !sp.ownExit && sp.escalated != "" && p.r.Verdict == "" {
		p.note("the server did not exit within %s of its stdin closing; its process group got %s", sp.grace, sp.escalated)
	}
}

// classifyStdio turns a failed session into a verdict. The summary names
// the cause picked from the stderr tail, not merely its last line.
func (p *prober) classifyStdio(ctx context.Context, sp *stdioProc, f *sessionFailure) {
	ev := p.r.Process
	cause := causeLine(ev.StderrTail)
	var syntax *json.SyntaxError
	var rpcErr *jsonrpc.Error
	switch {
	case f.phase == PhaseConnect:
		p.fail(f.phase, CommandNotFound, "the command could not be started", f.err)
	case ev.ExitCode != nil && *ev.ExitCode == 127:
		p.fail(f.phase, CommandNotFound, "the process exited with code 127: a program it runs was not found"+suffix(cause), f.err)
	case (ev.ExitCode != nil || ev.Signal != "") && p.bridgeUnreachable(cause):
		p.fail(f.phase, Unreachable, "the bridge cannot reach its remote server"+suffix(cause), f.err)
	case ev.ExitCode != nil && cause == "" && ev.StdoutNoiseLines == 0:
		p.fail(f.phase, Crashed, fmt.Sprintf("the process exited with code %d during %s without writing anything (no MCP answer, nothing on stderr)", *ev.ExitCode, f.phase), f.err)
	case ev.ExitCode != nil:
		p.fail(f.phase, Crashed, fmt.Sprintf("the process exited with code %d during %s", *ev.ExitCode, f.phase)+suffix(cause), f.err)
	case ev.Signal != "":
		p.fail(f.phase, Crashed, fmt.Sprintf("the process was killed by %s during %s", ev.Signal, f.phase)+suffix(cause), f.err)
	case errors.As(f.err, &syntax) || strings.Contains(f.err.Error(), "invalid character"):
		p.fail(f.phase, ProtocolError, "the server wrote a malformed JSON-RPC message to stdout", f.err)
	case p.ctxVerdict(ctx, f.phase, f.err):
	case errors.As(f.err, &rpcErr):
		p.fail(f.phase, ProtocolError, fmt.Sprintf("the server answered %s with an error", f.phase), f.err)
	default:
		p.fail(f.phase, ProtocolError, "the session failed during "+f.phase, f.err)
	}
}

// causeLine picks what names the cause from a stderr tail: the line with
// an error code or message a person can act on (ECONNREFUSED, ENOTFOUND,
// E404, "X is required", "command not found", "Error: …"), and the
// runner-up when it adds to it (server-filesystem's "Cannot access
// directory X" before its "Error: None of the specified directories are
// accessible"), in the order they were written. Without such a line it is
// the last line that is not the end of a stack trace or npm's log pointer.
func causeLine(tail string) string {
	lines := strings.Split(tail, "\n")
	type scored struct{ i, score int }
	var best []scored
	seen := map[string]bool{}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if seen[l] || sourceEcho(lines, i) {
			continue
		}
		seen[l] = true
		if sc := causeScore(l); sc >= 3 {
			best = append(best, scored{i, sc})
		}
	}
	if len(best) > 0 {
		sort.SliceStable(best, func(a, b int) bool { return best[a].score > best[b].score })
		best = best[:min(2, len(best))]
		sort.Slice(best, func(a, b int) bool { return best[a].i < best[b].i })
		var out []string
		for _, b := range best {
			out = append(out, strings.TrimSpace(lines[b.i]))
		}
		return strings.Join(out, " — ")
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); !boringLine(l) && !sourceEcho(lines, i) {
			return l
		}
	}
	return ""
}

// sourceEcho reports a line Node prints to show the source of an uncaught
// error: it is followed by a line of only a caret.
func sourceEcho(lines []string, i int) bool {
	return i+1 < len(lines) && strings.Trim(lines[i+1], " \t^") == "" && strings.Contains(lines[i+1], "^")
}

// causeMarks score stderr lines: specific codes beat a generic "Error:".
var causeMarks = []struct {
	mark  string
	score int
}{
	{"ECONNREFUSED", 5}, {"ENOTFOUND", 5}, {"EAI_AGAIN", 5}, {"ETIMEDOUT", 5}, {"EHOSTUNREACH", 5}, {"ECONNRESET", 4},
	{"E404", 5}, {"404 Not Found", 5}, {"is required", 5}, {"command not found", 5}, {"Cannot find module", 5},
	{"No such file or directory", 4}, {"ENOENT", 4}, {"EACCES", 4}, {"Permission denied", 4}, {"Cannot access", 4},
	{"Error:", 3}, {"error:", 2}, {"ERROR", 1}, {"npm error", 1}, {"npm ERR!", 1},
}

// causeScore adds up the marks a line carries: "Error: X is required"
// beats a line that merely mentions "is required".
func causeScore(l string) int {
	if boringLine(l) || strings.Trim(l, " ^") == "" {
		return 0
	}
	sum := 0
	for _, m := range causeMarks {
		if strings.Contains(l, m.mark) {
			sum += m.score
		}
	}
	return sum
}

// boringLine is a line that explains nothing: punctuation closing a
// printed object, a stack frame, npm's pointer to its log, Node's version.
func boringLine(l string) bool {
	switch {
	case l == "", l == "…", strings.Trim(l, "{}[](),; ") == "":
		return true
	case strings.HasPrefix(l, "at "), strings.Contains(l, "A complete log of this run"), strings.HasPrefix(l, "Node.js v"):
		return true
	}
	return false
}

func suffix(line string) string {
	if line == "" {
		return ""
	}
	const max = 200
	if len(line) > max {
		line = line[:max] + "…"
	}
	return ": " + line
}
