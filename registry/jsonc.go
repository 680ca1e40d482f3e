package registry

import "github.com/mcpmend/mcpmend/internal/jsonedit"

// readJSONC reads a config file written in JSON with comments and trailing
// commas, as VS Code, Zed and Gemini CLI allow. It behaves like readJSON:
// missing files are absent, unreadable or malformed ones are Problems. The
// returned document is plain JSON with every byte at its original offset, so
// line and column of a syntax error point into the file as the user sees it.
func readJSONC(client, path string) (doc []byte, prob *Problem, ok bool) {
	return readConfig(client, path, stripJSONC)
}

// stripJSONC blanks comments and trailing commas, keeping every other byte at
// its offset (see jsonedit.StripComments).
func stripJSONC(data []byte) []byte { return jsonedit.StripComments(data) }
