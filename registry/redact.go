package registry

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"
)

// Secret is a string that must never be printed: its String, JSON and log
// forms are a fixed placeholder. Call Reveal where the real value is needed
// (to dial a server or hash a key), and nowhere else.
type Secret string

// Redacted is what a secret prints as.
const Redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer with the placeholder.
func (s Secret) String() string { return Redacted }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return Redacted }

// MarshalJSON encodes the placeholder.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// LogValue implements slog.LogValuer with the placeholder.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// secretWords are the words, in any case, that make a name of a query
// parameter, flag, header or variable look like it carries a credential
// wherever they appear in it ("key" covers api-key/apikey).
var secretWords = []string{"token", "secret", "passw", "auth", "key", "credential", "session", "cookie", "bearer", "private"}

// secretParts are short words that mean a credential only as a whole part
// of a name (split at non-letters and camelCase humps): "pwd" in DB_PWD but
// not in PWD or OLDPWD (the working directory), "sig" in X-Sig but not in
// DESIGN or SIGNAL.
var secretParts = map[string]bool{"pwd": true, "passwd": true, "pw": true, "sig": true, "signature": true, "pass": true}

// plainNames are variables every shell sets whose values are paths and
// settings, never credentials, though a word in them may look secret.
var plainNames = map[string]bool{"PWD": true, "OLDPWD": true, "HOME": true, "PATH": true, "USER": true, "SHELL": true, "TMPDIR": true, "XDG_SESSION_TYPE": true, "XDG_SESSION_ID": true, "XDG_SESSION_CLASS": true, "XDG_SESSION_DESKTOP": true, "SSH_AUTH_SOCK": true}

// IsSecretName reports whether a parameter, flag or variable name looks like
// it carries a credential. It matches words, not letters: PWD, OLDPWD and
// the other plainNames are readable. It runs once per argument of every
// configured server, so it avoids regexp.
func IsSecretName(name string) bool {
	if plainNames[strings.ToUpper(name)] {
		return false
	}
	lower := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	for _, part := range nameParts(name) {
		if secretParts[part] {
			return true
		}
	}
	return false
}

// nameParts splits a name into lower-case words at every non-letter and at
// each lower-to-upper hump (xApiSig → x, api, sig).
func nameParts(name string) []string {
	var out []string
	start := -1
	flush := func(i int) {
		if start >= 0 {
			out = append(out, strings.ToLower(name[start:i]))
			start = -1
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		switch {
		case !letter:
			flush(i)
		case start < 0:
			start = i
		case c >= 'A' && c <= 'Z' && name[i-1] >= 'a' && name[i-1] <= 'z':
			flush(i)
			start = i
		}
	}
	flush(len(name))
	return out
}

// LooksLikeCredential reports whether a configured value has the shape of a
// credential whatever its name: a token-like string (a known key prefix, a
// bearer value, a long opaque run) or a 12+ character word of letters and
// digits mixed, without path separators or spaces. Paths, URLs without
// credentials, numbers and plain words are not.
func LooksLikeCredential(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	if RedactText(v) != v {
		return true
	}
	if len(v) < 12 || strings.ContainsAny(v, "/\\ :") {
		return false
	}
	var letters, digits bool
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters = true
		}
	}
	return letters && digits
}

// RedactURL returns u with user info and secret-looking query values replaced.
// A URL that does not parse is reduced to its scheme and host when possible.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			if s := strings.Index(raw, "://"); s >= 0 && s < at {
				raw = raw[:s+3] + Redacted + raw[at:]
			}
		}
		return raw
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if IsSecretName(k) {
				for i := range q[k] {
					q[k][i] = Redacted
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	if u.Fragment != "" {
		u.Fragment = Redacted
	}
	// Hosted MCP URLs often carry the key as a path segment.
	if p := redactURLPath(u.Path); p != u.Path {
		u.Path, u.RawPath = p, ""
	}
	s := u.String()
	return strings.ReplaceAll(s, url.QueryEscape(Redacted), Redacted)
}

// redactURLPath is RedactText for a URL's path, where a long opaque
// segment is taken for a key.
func redactURLPath(p string) string {
	if !mayHoldSecret(p) {
		return p
	}
	return replaceTokens(p, true)
}

// tokenLike matches values that look like credentials wherever they appear:
// bearer tokens, well-known key prefixes, long opaque strings.
var tokenLike = lazyre.New(`(?i)(bearer\s+\S+|basic\s+[A-Za-z0-9+/_-]{4,}={0,2}|\b(sk|pk|ghp|gho|ghu|ghs|github_pat|xox[abprs]|glpat|AKIA)[-_A-Za-z0-9]{8,}|\b[A-Za-z0-9_\-]{32,}\b)`)

// RedactArgs returns args safe to print: a value following a secret-looking
// flag (--api-key X, --token=X), header values (--header "Authorization: X"),
// URLs' credentials, and token-like strings are replaced.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	hideNext := false
	for i, a := range args {
		switch {
		case hideNext:
			out[i] = redactHeaderOrValue(a)
			hideNext = false
		case strings.HasPrefix(a, "-"):
			name, val, hasVal := strings.Cut(a, "=")
			flag := strings.TrimLeft(name, "-")
			secret := IsSecretName(flag) || strings.EqualFold(flag, "header") || strings.EqualFold(flag, "H")
			switch {
			case secret && hasVal:
				out[i] = name + "=" + redactHeaderOrValue(val)
			case secret:
				out[i] = a
				hideNext = true
			case hasVal && strings.Contains(val, "://"):
				out[i] = name + "=" + RedactURL(val)
			default:
				out[i] = RedactText(a)
			}
		case strings.Contains(a, "://"):
			out[i] = RedactURL(a)
		case isSecretAssignment(a):
			name, _, _ := strings.Cut(a, "=")
			out[i] = name + "=" + Redacted
		default:
			out[i] = RedactText(a)
		}
	}
	return out
}

// isSecretAssignment reports a NAME=VALUE argument (docker -e, env) whose
// name looks secret.
func isSecretAssignment(a string) bool {
	name, _, ok := strings.Cut(a, "=")
	return ok && name != "" && !strings.ContainsAny(name, " /") && IsSecretName(name)
}

// redactHeaderOrValue keeps a header's name ("Authorization: x" → "Authorization: [redacted]").
func redactHeaderOrValue(v string) string {
	if name, _, ok := strings.Cut(v, ":"); ok && !strings.Contains(name, " ") && name != "" && !strings.Contains(v, "://") {
		return name + ": " + Redacted
	}
	return Redacted
}

// secretAssign matches `name=value`, `name: value` and `"name": "value"`
// where the name looks secret; the value is what gets replaced.
var secretAssign = lazyre.New(`(?i)([A-Za-z0-9_.-]*(?:token|secret|passw|pwd|api[-_]?key|apikey|credential|cookie)[A-Za-z0-9_.-]*"?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&]+)`)

// assignedName is the name part of a secretAssign match, without quotes and
// separator.
func assignedName(prefix string) string {
	return strings.TrimRight(strings.TrimSpace(prefix), `"=: `)
}

// RedactText replaces token-like substrings in free text (stderr tails, log
// lines, error messages from servers), and values assigned to secret-looking
// names.
func RedactText(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	if !mayAssignSecret(s) {
		return replaceTokens(s, false)
	}
	s = secretAssign.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretAssign.FindStringSubmatch(m)
		if !IsSecretName(assignedName(sub[1])) {
			return m // PWD=/home/u, OLDPWD=…: a word inside a plain name
		}
		if strings.EqualFold(strings.TrimSpace(sub[2]), "bearer") || strings.EqualFold(strings.TrimSpace(sub[2]), "basic") {
			return m // "Authorization: Bearer x" is left to tokenLike
		}
		q := ""
		if strings.HasPrefix(sub[2], `"`) || strings.HasPrefix(sub[2], "'") {
			q = sub[2][:1]
		}
		return sub[1] + q + Redacted + q
	})
	return replaceTokens(s, false)
}

// knownKey matches the well-known key prefixes of tokenLike.
var knownKey = lazyre.New(`(?i)^(bearer|basic|sk|pk|ghp|gho|ghu|ghs|github_pat|xox[abprs]|glpat|AKIA)[-_\s]`)

// replaceTokens replaces tokenLike matches. A long opaque run that is a
// segment of a file path (/home/u/TestSomething3425087282/no-such-dir) is a
// directory name, not a key, and is kept so the path stays actionable —
// unless urlPath says s is a URL's path, where hosted servers put keys.
func replaceTokens(s string, urlPath bool) string {
	if !mayHoldToken(s) {
		return s
	}
	idx := tokenLike.FindAllStringIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		tok := s[m[0]:m[1]]
		b.WriteString(s[last:m[0]])
		last = m[1]
		lower := strings.ToLower(tok)
		switch {
		case strings.HasPrefix(lower, "bearer"):
			b.WriteString("Bearer " + Redacted)
		case strings.HasPrefix(lower, "basic"):
			if cred := strings.TrimSpace(tok[len("basic"):]); !base64Credential(cred) {
				b.WriteString(tok) // "Testing basic HTTP connectivity": a word, not a credential
			} else {
				b.WriteString("Basic " + Redacted)
			}
		case !urlPath && !knownKey.MatchString(tok) && inFilePath(s, m[0], m[1]):
			b.WriteString(tok)
		default:
			b.WriteString(Redacted)
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// inFilePath reports whether s[start:end] is a whole segment of a file
// path: a separator before it, a separator or the word's end after it, and
// no "://" in the word (a URL's path may carry a key).
func inFilePath(s string, start, end int) bool {
	if start == 0 || s[start-1] != '/' && s[start-1] != '\\' {
		return false
	}
	if end < len(s) && !strings.ContainsRune("/\\ \t\n\"',;:)]}", rune(s[end])) {
		return false
	}
	wordStart := strings.LastIndexAny(s[:start], " \t\n\"'(=") + 1
	return !strings.Contains(s[wordStart:start], "://")
}

// base64Credential reports whether what follows "Basic " looks like the
// base64 of user:password rather than an English word: it mixes cases, or
// holds a digit, '+', '/' or '=' padding. A run long enough to be a token
// anyway (32+) counts too.
func base64Credential(s string) bool {
	if len(s) >= 32 {
		return true
	}
	var lower, upper bool
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			return true // a digit, '+', '/', '=', '-' or '_'
		}
	}
	return lower && upper
}

// mayHoldSecret is a cheap test that lets RedactText skip its regexps on
// the many short arguments of a big configuration: every pattern needs a
// run of 10 token characters, a separator after a secret word, or
// "bearer"/"basic".
func mayHoldSecret(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			if run++; run >= 10 {
				return true
			}
			continue
		}
		run = 0
	}
	if strings.ContainsAny(s, "=:") && IsSecretName(s) {
		return true
	}
	lower := strings.ToLower(s)
	return strings.Contains(lower, "bearer") || strings.Contains(lower, "basic")
}

// Scrub removes every given secret value from s. Use it on any text that may
// echo configuration back (errors from a dial, a child's stderr) before it is
// shown, in addition to RedactText.
//
// A secret is also removed in the escaped forms text quotes it in: Go's %q
// and strconv.Quote (net/http's errors, slog's text handler) and JSON. A
// value with a quote or a backslash, echoed back inside such a quotation,
// otherwise no longer matched and went out whole.
func Scrub(s string, secrets ...Secret) string {
	for _, v := range secrets {
		if len(v) < 4 {
			continue
		}
		s = strings.ReplaceAll(s, string(v), Redacted)
		if escapable(string(v)) {
			for _, form := range escapedForms(string(v)) {
				s = strings.ReplaceAll(s, form, Redacted)
			}
		}
	}
	return s
}

// escapable reports whether strconv.Quote or JSON would write v otherwise.
func escapable(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return true
		}
	}
	return false
}

// escapedForms are v as it appears inside a Go or a JSON quotation, where
// that differs from v.
func escapedForms(v string) []string {
	var out []string
	q := strconv.Quote(v)
	j, _ := json.Marshal(v)
	for _, f := range []string{q[1 : len(q)-1], string(j[1 : len(j)-1])} {
		if f != v && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// String keeps a Server printed with %v or %+v from showing Raw.Entry, the
// entry's JSON with its secrets.
func (r Raw) String() string { return "{raw " + Redacted + "}" }

// GoString does the same for %#v.
func (r Raw) GoString() string { return r.String() }

// MarshalJSON keeps a Raw marshalled on its own (not as Server's "-" field)
// from carrying Entry.
func (r Raw) MarshalJSON() ([]byte, error) { return []byte(`"` + r.String() + `"`), nil }

// Secrets returns every secret value in a server's raw configuration, for Scrub.
func (r Raw) Secrets() []Secret {
	var out []Secret
	// Values, not words: a configured env value is a secret when its name
	// says so or it has a credential's shape, so npm_config_cache=/x stays
	// readable in a stderr line that names it. Every header value is one: a
	// custom header is how many servers take their API key, whatever its
	// name, and header values are rarely what a person needs to read.
	for _, e := range r.Env {
		if IsSecretName(e.Name) || LooksLikeCredential(string(e.Value)) {
			out = append(out, e.Value)
		}
	}
	for _, h := range r.Headers {
		out = append(out, h.Value)
		// "Bearer X": X alone may be echoed too.
		if _, tok, ok := strings.Cut(string(h.Value), " "); ok {
			out = append(out, Secret(tok))
		}
	}
	if u, err := url.Parse(string(r.URL)); err == nil {
		if u.User != nil {
			out = append(out, Secret(u.User.String()))
			if p, ok := u.User.Password(); ok {
				out = append(out, Secret(p))
			}
		}
		for k, vs := range u.Query() {
			if IsSecretName(k) {
				for _, v := range vs {
					out = append(out, Secret(v))
				}
			}
		}
	}
	for i, a := range r.Args {
		if ra := RedactArgs([]string{string(a)}); ra[0] != string(a) || (i > 0 && hidesNext(string(r.Args[i-1]))) {
			out = append(out, a)
		}
	}
	return out
}

func hidesNext(flag string) bool {
	if !strings.HasPrefix(flag, "-") || strings.Contains(flag, "=") {
		return false
	}
	f := strings.TrimLeft(flag, "-")
	return IsSecretName(f) || strings.EqualFold(f, "header") || strings.EqualFold(f, "H")
}

// The two checks below say, without a regexp, when secretAssign or
// tokenLike cannot match: most texts redacted are error messages and notes
// naming a project's folder (thousands of them in a checkup), where running
// the backtracking patterns was most of the judgment's time. Each check only
// answers false when the pattern provably finds nothing
// (TestRedactPrefilters compares them with the patterns); non-ASCII text
// always goes to the pattern, because (?i) folds the Kelvin sign and the
// long s to ASCII letters.

// assignWords are secretAssign's secret words, lower case, with every
// spelling of api[-_]?key.
var assignWords = []string{"token", "secret", "passw", "pwd", "api-key", "api_key", "apikey", "credential", "cookie"}

// keyPrefixes are tokenLike's key prefixes, lower case, xox[abprs] spelt out.
var keyPrefixes = []string{"sk", "pk", "ghp", "gho", "ghu", "ghs", "github_pat", "xoxa", "xoxb", "xoxp", "xoxr", "xoxs", "glpat", "akia"}

// mayAssignSecret is false when secretAssign cannot match s: a match holds
// a secret word and then = or :.
func mayAssignSecret(s string) bool {
	if !isASCII(s) {
		return true
	}
	if !strings.ContainsAny(s, "=:") {
		return false
	}
	lower := strings.ToLower(s)
	for _, w := range assignWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// mayHoldToken is false when tokenLike cannot match s: a match is "bearer"
// or "basic", a run of 32 token characters, or a key prefix at a word
// boundary followed by 8 more token characters in the same run.
func mayHoldToken(s string) bool {
	if !isASCII(s) {
		return true
	}
	lower := strings.ToLower(s)
	if strings.Contains(lower, "bearer") || strings.Contains(lower, "basic") {
		return true
	}
	for i := 0; i < len(lower); {
		if !isTokenByte(lower[i]) {
			i++
			continue
		}
		j := i
		for j < len(lower) && isTokenByte(lower[j]) {
			j++
		}
		if j-i >= 10 && runMayHoldKey(lower, i, j) {
			return true
		}
		i = j
	}
	return false
}

// runMayHoldKey checks the run lower[i:j] of token characters.
func runMayHoldKey(lower string, i, j int) bool {
	if j-i >= 32 {
		return true
	}
	for p := i; p < j; p++ {
		if p > 0 && isWordByte(lower[p-1]) {
			continue // no \b before p
		}
		for _, k := range keyPrefixes {
			if strings.HasPrefix(lower[p:j], k) && j-p-len(k) >= 8 {
				return true
			}
		}
	}
	return false
}

// isTokenByte is [-_A-Za-z0-9].
func isTokenByte(c byte) bool { return c == '-' || isWordByte(c) }

// isWordByte is \w: [0-9A-Za-z_].
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
