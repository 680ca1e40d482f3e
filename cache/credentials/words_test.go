package credentials

import (
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
)

// TestResetDetailSaysOnlyWhatIsTrue: a reset detail claims to clear gate B
// or C only for a server those gates apply to — never for one whose
// configuration sends headers, which they exempt.
func TestResetDetailSaysOnlyWhatIsTrue(t *testing.T) {
	e := OAuthEntry{Key: "srv|x", Discovery: &DiscoveryState{OAuthMetadataFound: true,
		TokenlessRejectedAt: stamp{Present: true, Valid: true, Ms: 1}}}
	plain := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`)
	headers := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://127.0.0.1:4131/mcp","headers":{"Authorization":"Bearer CANARY"}}`)
	if d := oauthTargets(e, plain, false)[0].Detail; !strings.Contains(d, "its stamp made Claude Code skip this server") {
		t.Errorf("header-less server: %q", d)
	}
	d := oauthTargets(e, headers, false)[0].Detail
	if strings.Contains(d, "skip this server") || strings.Contains(d, "gate") || !strings.Contains(d, "do not block this server") {
		t.Errorf("header server: %q", d)
	}
}
