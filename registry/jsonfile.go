package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/tidwall/gjson"
)

// readJSON reads a JSON config file. A missing file returns ok=false and no
// problem; an unreadable or malformed one returns a Problem naming the file
// and, for syntax errors, the line and column.
func readJSON(client, path string) (doc []byte, prob *Problem, ok bool) {
	return readConfig(client, path, nil)
}

// readConfig is readJSON with, when clean is set, a step that turns the
// file's text (BOM removed) into plain JSON before it is checked — what
// readJSONC needs; everything else about reading a config is the same.
func readConfig(client, path string, clean func([]byte) []byte) (doc []byte, prob *Problem, ok bool) {
	data, err := readBounded(path, maxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false
	}
	if err != nil {
		return nil, &Problem{Client: client, File: path, Message: "cannot read: " + errText(err)}, false
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM, as Windows editors write
	if clean != nil {
		data = clean(data)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, false
	}
	// The depth-bounded scanner, not gjson.ValidBytes, decides: a 40 MB
	// "[[[[…" would otherwise overflow the stack of a recursive parser.
	s := &jsonScanner{data: data}
	if !s.document(nil) {
		if s.depth > maxJSONDepth {
			return nil, &Problem{Client: client, File: path, Message: fmt.Sprintf("invalid JSON: nested more than %d levels deep", maxJSONDepth)}, false
		}
		line, col, msg := SyntaxPosition(data)
		return nil, &Problem{Client: client, File: path, Line: line, Column: col, Message: "invalid JSON: " + msg}, false
	}
	return dedupeJSON(data), nil, true
}

// errText is an error's text without the path (callers name the file).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// SyntaxPosition locates the first JSON syntax error as 1-based line and column.
func SyntaxPosition(data []byte) (line, col int, msg string) {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	off := int64(len(data))
	msg = "unexpected end of input"
	if errors.As(err, &se) {
		off, msg = se.Offset, se.Error()
		if off > 0 {
			off-- // Offset counts the byte that failed.
		}
	} else if err != nil {
		msg = err.Error()
	}
	line, col = 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col, msg
}

// escape makes a name safe inside a gjson/sjson path: '.', '*', '?', '|',
// '#', '@', '\' and numeric keys are syntax there.
func escape(name string) string { return gjson.Escape(name) }

// entry reads one server entry written in the common mcpServers shape
// ({command, args, env, cwd} or {type, url, headers, headersHelper, oauth}).
// urlKeys lists the fields that may hold the URL, in order; the client's own
// quirks (which key means which transport) are applied by the caller.
func entry(s *Server, v gjson.Result, env Env, urlKeys ...string) {
	s.Raw.Entry = v.Raw
	s.Raw.Type = v.Get("type").String()
	s.Raw.Command = Secret(v.Get("command").String())
	s.Command = s.Raw.Command.Reveal() // scrubbed by fillPublic
	for _, a := range v.Get("args").Array() {
		s.Raw.Args = append(s.Raw.Args, Secret(a.String()))
	}
	s.Cwd = v.Get("cwd").String()
	v.Get("env").ForEach(func(k, val gjson.Result) bool {
		s.Raw.Env = append(s.Raw.Env, EnvVar{Name: k.String(), Value: Secret(val.String())})
		return true
	})
	if len(urlKeys) == 0 {
		urlKeys = []string{"url"}
	}
	for _, k := range urlKeys {
		if u := v.Get(k); u.Exists() {
			s.Raw.URL = Secret(u.String())
			break
		}
	}
	v.Get("headers").ForEach(func(k, val gjson.Result) bool {
		s.Raw.Headers = append(s.Raw.Headers, Header{Name: k.String(), Value: Secret(val.String())})
		return true
	})
	if h := v.Get("headersHelper"); h.Exists() {
		// Only Claude Code runs a headersHelper; elsewhere it is an
		// unknown key, and mcpmend must not run what the client would not.
		if s.Client == ClaudeCode {
			s.Raw.HeadersHelper = Secret(h.String())
		} else {
			s.Problems = append(s.Problems, "headersHelper is a Claude Code setting: this client ignores it, and so does mcpmend")
		}
	}
	if o := v.Get("oauth"); o.IsObject() {
		s.OAuth = &OAuth{
			ClientID:              o.Get("clientId").String(),
			CallbackPort:          int(o.Get("callbackPort").Int()),
			AuthServerMetadataURL: o.Get("authServerMetadataUrl").String(),
		}
		for _, sc := range o.Get("scopes").Array() {
			s.OAuth.Scopes = append(s.OAuth.Scopes, sc.String())
		}
	}
	s.Transport = transportOf(s.Raw.Type, s.Command, string(s.Raw.URL))
	if !v.IsObject() {
		s.Problems = append(s.Problems, fmt.Sprintf("entry is %s, not an object", kindOf(v)))
	}
	s.fillPublic()
}

// transportOf decides the transport from the type field, else from which of
// command and url is set.
func transportOf(typ, command, url string) Transport {
	switch strings.ToLower(typ) {
	case "stdio":
		return Stdio
	case "http", "streamable-http", "streamablehttp", "streamable_http":
		return HTTP
	case "sse":
		return SSE
	case "ws", "websocket":
		return WS
	}
	switch {
	case command != "":
		return Stdio
	case strings.HasPrefix(url, "ws://"), strings.HasPrefix(url, "wss://"):
		return WS
	case url != "":
		return HTTP
	}
	return Stdio
}

// fillPublic derives the printable fields from Raw.
func (s *Server) fillPublic() {
	s.Command = ""
	if c := s.Raw.Command.Reveal(); c != "" {
		s.Command = RedactArgs([]string{c})[0] // a command can carry a key too
	}
	s.Args = nil
	if len(s.Raw.Args) > 0 {
		raw := make([]string, len(s.Raw.Args))
		for i, a := range s.Raw.Args {
			raw[i] = a.Reveal()
		}
		s.Args = RedactArgs(raw)
	}
	s.EnvNames = nil
	for _, e := range s.Raw.Env {
		s.EnvNames = append(s.EnvNames, e.Name)
	}
	s.URL = RedactURL(s.Raw.URL.Reveal())
	s.HeaderNames = nil
	for _, h := range s.Raw.Headers {
		s.HeaderNames = append(s.HeaderNames, h.Name)
	}
	s.HeadersHelper = s.Raw.HeadersHelper != ""
	if s.Transport != Stdio && s.Raw.URL == "" {
		s.Problems = append(s.Problems, "remote server without a url")
	}
	if s.Transport == Stdio && s.Command == "" && s.Raw.URL == "" {
		s.Problems = append(s.Problems, "neither command nor url is set")
	}
}

func kindOf(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return "a string"
	case gjson.Number:
		return "a number"
	case gjson.True, gjson.False:
		return "a boolean"
	case gjson.Null:
		return "null"
	}
	if v.IsArray() {
		return "an array"
	}
	return "not an object"
}
