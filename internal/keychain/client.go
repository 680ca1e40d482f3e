package keychain

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Client talks to the macOS Keychain through security(1), as Claude Code
// does. It is plain os/exec so that the same code runs on every OS against a
// stand-in executable in tests; only platform_darwin.go decides that the
// real /usr/bin/security is used.
type Client struct {
	Security string        // path of the security executable
	Timeout  time.Duration // per call; 10 s when zero (what Claude Code allows)
}

// Item names one generic password.
type Item struct {
	Service string `json:"service"`
	Account string `json:"account"`
}

// String names the item for messages; it holds no secret.
func (it Item) String() string {
	return "keychain:" + it.Service + " (account " + it.Account + ")"
}

// securityNotFound is security's exit status for a missing item.
const securityNotFound = 44

// securityLineMax is the longest command Claude Code feeds `security -i`;
// longer payloads go on the command line instead.
const securityLineMax = 4032

// ErrNoKeychain means security(1) is unavailable: not macOS, or a profile
// other than the running user's is being inspected.
var ErrNoKeychain = errors.New("no macOS Keychain here")

func (k *Client) run(ctx context.Context, stdin string, args ...string) (stdout []byte, code int, err error) {
	if k == nil || k.Security == "" {
		return nil, -1, ErrNoKeychain
	}
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.Security, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.Bytes(), ee.ExitCode(), fmt.Errorf("security %s exited %d: %s", args[0], ee.ExitCode(), strings.TrimSpace(errb.String()))
	}
	if err != nil {
		return nil, -1, fmt.Errorf("run %s: %w", k.Security, err)
	}
	return out.Bytes(), 0, nil
}

// Find reads an item's data (`security find-generic-password -a A -w -s S`).
// found is false, with no error, when the item does not exist.
func (k *Client) Find(ctx context.Context, it Item) (data []byte, found bool, err error) {
	out, code, err := k.run(ctx, "", "find-generic-password", "-a", it.Account, "-w", "-s", it.Service)
	if code == securityNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", it, err)
	}
	return decodeSecurityOutput(out), true, nil
}

// decodeSecurityOutput undoes `-w` printing: the data and a newline, or the
// data in hex when it is not printable ASCII (a JSON blob with a non-ASCII
// character, say). Hex is only undone when it decodes to a JSON object, the
// only kind of item read here.
func decodeSecurityOutput(out []byte) []byte {
	s := strings.TrimSpace(string(out))
	if len(s) >= 2 && len(s)%2 == 0 && s[0] != '{' {
		if b, err := hex.DecodeString(s); err == nil && len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '{' {
			return b
		}
	}
	return []byte(s)
}

// Add creates or replaces an item (`add-generic-password -U … -X <hex>`),
// through `security -i` on stdin when short enough so the data never shows
// in the process list, as Claude Code does.
func (k *Client) Add(ctx context.Context, it Item, data []byte) error {
	hx := hex.EncodeToString(data)
	line := fmt.Sprintf("add-generic-password -U -a %q -s %q -X %q\n", it.Account, it.Service, hx)
	var err error
	if len(line) <= securityLineMax && !strings.ContainsAny(it.Account+it.Service, "\"\\\n") {
		_, _, err = k.run(ctx, line, "-i")
	} else {
		_, _, err = k.run(ctx, "", "add-generic-password", "-U", "-a", it.Account, "-s", it.Service, "-X", hx)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", it, err)
	}
	return nil
}

// Delete removes an item; found is false when there was none.
func (k *Client) Delete(ctx context.Context, it Item) (found bool, err error) {
	_, code, err := k.run(ctx, "", "delete-generic-password", "-a", it.Account, "-s", it.Service)
	if code == securityNotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete %s: %w", it, err)
	}
	return true, nil
}
