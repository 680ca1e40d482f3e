package mcplogs

import "testing"

// FuzzMCPLogLine feeds arbitrary lines to the MCP log reader.
func FuzzMCPLogLine(f *testing.F) {
	f.Add(`{"debug":"Skipping connection (cached needs-auth)","timestamp":"2026-11-26T16:18:50.282Z"}`)
	f.Add(`{"error":{"x":1},"timestamp":5}`)
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := logRecord("f", line, nil)
		if ok && (r.Active || r.Resettable || len(r.Detail) > 400) {
			t.Fatalf("record %+v", r)
		}
	})
}
