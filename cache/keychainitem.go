package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"os/user"
	"regexp"

	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/registry"
)

// accountName is Claude Code's Keychain account: $USER, else the OS user
// name, replaced by "claude-code-user" when it has other characters.
var accountName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// ClaudeCredentialsItem is the Keychain item Claude Code keeps its
// credentials in for env: service "Claude Code-credentials", suffixed with
// "-" + 8 hex of sha256(config dir) when CLAUDE_CONFIG_DIR (or
// CLAUDE_SECURESTORAGE_CONFIG_DIR, which wins, when non-empty) moves it.
func ClaudeCredentialsItem(env registry.Env) keychain.Item {
	service := "Claude Code-credentials"
	dir := ""
	if v, ok := lookupEnv(env, "CLAUDE_SECURESTORAGE_CONFIG_DIR"); ok {
		dir = v
	} else if env.Var("CLAUDE_CONFIG_DIR") != "" {
		dir = env.ClaudeConfigHome()
	}
	if dir != "" {
		sum := sha256.Sum256([]byte(dir))
		service += "-" + hex.EncodeToString(sum[:])[:8]
	}
	acct := env.Var("USER")
	if acct == "" {
		if u, err := user.Current(); err == nil {
			acct = u.Username
		}
	}
	if !accountName.MatchString(acct) {
		acct = "claude-code-user"
	}
	return keychain.Item{Service: service, Account: acct}
}

// lookupEnv returns a location variable (filtered under --home like every
// other). Env only has Getenv, so a variable set to "" counts as unset.
func lookupEnv(env registry.Env, name string) (string, bool) {
	v := env.Var(name)
	return v, v != ""
}
