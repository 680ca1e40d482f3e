package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// helperMaxOutput is Claude Code's maxBuffer for headersHelper (1e6 bytes).
const helperMaxOutput = 1_000_000

// helperError is why a headersHelper gave no headers; Reason uses Claude
// Code's words (exec_failed, parse_failed, non_object, non_string_value)
// plus timeout.
type helperError struct {
	Reason string
	Detail string
}

func (e *helperError) Error() string { return "headersHelper " + e.Reason + ": " + e.Detail }

// runHelper runs a headersHelper as Claude Code 2.1.328 does: through the
// shell, with the server's name and URL in CLAUDE_CODE_MCP_SERVER_NAME and
// CLAUDE_CODE_MCP_SERVER_URL, bounded in time and output; it must exit 0 and
// print a JSON object of string values. Its process group is ended after
// it, on timeout or not.
// The output is credentials: it is never put in an error.
func (p *prober) runHelper(ctx context.Context, command, serverURL string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.HelperTimeout)
	defer cancel()
	env := make(map[string]string, len(p.env)+3)
	for k, v := range p.env {
		env[k] = v
	}
	env[probeMarkEnv] = newProbeMark()
	env["CLAUDE_CODE_MCP_SERVER_NAME"] = p.s.Name
	env["CLAUDE_CODE_MCP_SERVER_URL"] = serverURL
	var group procGroup
	cmd := helperCommand(ctx, command)
	cmd.Env, cmd.Dir = environList(env), p.workDir(func(s string) string { return s })
	// On timeout kill the shell's whole group: a child holding stdout
	// (`sleep`, a hung `vault`) would otherwise keep Wait waiting.
	cmd.Cancel = func() error { return killTree(cmd.Process.Pid) }
	cmd.WaitDelay = time.Second
	becomeSubreaper()
	var stdout limitedBuffer
	stdout.max = helperMaxOutput
	stderr := newTail(1024)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	err := cmd.Start()
	if err == nil {
		_ = group.attach(cmd)
		err = cmd.Wait()
		group.reap(p.opts.Grace)
		group.release()
		killMarked(env[probeMarkEnv])
	}
	tail := p.scrub(causeLine(stderr.String()))
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, &helperError{"timeout", fmt.Sprintf("did not finish within %s", p.opts.HelperTimeout) + suffix(tail)}
	case err != nil:
		return nil, &helperError{"exec_failed", p.scrub(err.Error()) + suffix(tail)}
	case stdout.over:
		return nil, &helperError{"exec_failed", fmt.Sprintf("printed more than %d bytes", helperMaxOutput)}
	case len(bytes.TrimSpace(stdout.Bytes())) == 0:
		return nil, &helperError{"exec_failed", "printed nothing" + suffix(tail)}
	}
	var v any
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &v); err != nil {
		return nil, &helperError{"parse_failed", "its output is not JSON"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &helperError{"non_object", "it must print a JSON object of header names to values"}
	}
	out := make(map[string]string, len(obj))
	for k, val := range obj {
		s, ok := val.(string)
		if !ok {
			return nil, &helperError{"non_string_value", fmt.Sprintf("the value of %q is not a string", k)}
		}
		out[k] = s
	}
	return out, nil
}

// limitedBuffer keeps at most max bytes and notes when more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

var _ io.Writer = (*limitedBuffer)(nil)
