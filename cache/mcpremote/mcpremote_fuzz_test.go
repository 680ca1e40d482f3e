package mcpremote

import (
	"strings"
	"testing"
)

// FuzzMCPRemoteArgs parses arbitrary mcp-remote command lines.
func FuzzMCPRemoteArgs(f *testing.F) {
	f.Add("https://a/mcp\x00--header\x00Authorization: Bearer x\x00--resource\x00https://a/")
	f.Add("--header\x00X:1\x00--authorize-param\x00=x")
	f.Add("--header-file")
	f.Fuzz(func(t *testing.T, joined string) {
		c := Parse(strings.Split(joined, "\x00"), nil)
		if c.Hash != "" && len(c.Hash) != 32 {
			t.Fatalf("hash %q", c.Hash)
		}
	})
}
