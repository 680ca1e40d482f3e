package preanswer

import "unicode/utf8"

// request is what the pre-answer needs of an initialize request.
type request struct {
	id              []byte // the response's id, encoded as go-sdk encodes it
	protocolVersion string
}

// parseInitialize accepts line (one line of stdin, without its '\n') only
// when it is a single initialize request go-sdk is sure to answer with a
// result that depends on nothing but its id and protocolVersion. It is
// deliberately narrower than go-sdk: strict JSON (no duplicate or escaped
// keys, no lone surrogates, no invalid UTF-8, nesting under 32), and every
// field go-sdk decodes must have the type go-sdk decodes it into. Anything
// else (a batch, a notification, _meta, which could select the stateless
// protocol, params of another shape) is left to go-sdk. FuzzPreanswer checks
// that whatever it accepts, a real go-sdk server answers the same.
func parseInitialize(line []byte) (request, bool) {
	msg, ok := parseMessage(line, "initialize")
	if !ok {
		return request{}, false
	}
	id, ok := responseID(msg["id"])
	if !ok {
		return request{}, false
	}
	params, _ := msg["params"].(object)
	if params == nil || !paramsShape().fits(params) {
		return request{}, false
	}
	pv, _ := params["protocolVersion"].(string)
	return request{id: id, protocolVersion: pv}, true
}

// parseMessage parses line as one JSON-RPC message for method: an object
// with no other members than jsonrpc "2.0", id, method and params.
func parseMessage(line []byte, method string) (object, bool) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1] // go-sdk accepts \r\n line ends
	}
	if len(line) == 0 || line[0] != '{' {
		return nil, false
	}
	p := &parser{b: line}
	v, ok := p.value()
	if !ok || p.i != len(line) { // go-sdk fails on anything after the value but the line end
		return nil, false
	}
	msg, _ := v.(object)
	if msg == nil || !onlyKeys(msg, "jsonrpc", "id", "method", "params") ||
		msg["jsonrpc"] != "2.0" || msg["method"] != method {
		return nil, false
	}
	return msg, true
}

// noParams reports whether a message has no params or empty ones.
func noParams(msg object) bool {
	p, present := msg["params"]
	o, isObj := p.(object)
	return !present || isObj && len(o) == 0
}

// isInitialized reports whether line is the notifications/initialized a
// client sends after the initialize result (it changes nothing go-sdk
// lists, so a tools/list after it can still be pre-answered).
func isInitialized(line []byte) bool {
	msg, ok := parseMessage(line, "notifications/initialized")
	_, hasID := msg["id"]
	return ok && !hasID && noParams(msg)
}

// parseToolsList accepts a tools/list request without params (no cursor,
// no _meta) and returns the response's id.
func parseToolsList(line []byte) ([]byte, bool) {
	msg, ok := parseMessage(line, "tools/list")
	if !ok || !noParams(msg) {
		return nil, false
	}
	return responseID(msg["id"])
}

// responseID is the id go-sdk writes back: a string re-encoded, an integer
// as the int64 it becomes (go-sdk reads numbers as float64, so only
// integers it holds exactly are accepted).
func responseID(v any) ([]byte, bool) {
	switch id := v.(type) {
	case string:
		return appendString(nil, id), true
	case number:
		s := string(id)
		digits := s
		if s != "" && s[0] == '-' {
			digits = s[1:]
		}
		if len(digits) == 0 || len(digits) > 15 || digits[0] == '0' && s != "0" {
			return nil, false
		}
		for _, c := range []byte(digits) {
			if c < '0' || c > '9' {
				return nil, false
			}
		}
		return []byte(s), true
	}
	return nil, false
}

func onlyKeys(o object, keys ...string) bool {
	n := 0
	for _, k := range keys {
		if _, ok := o[k]; ok {
			n++
		}
	}
	return n == len(o)
}

// shape is the JSON type go-sdk decodes a field into: kind is 's' string,
// 'b' bool, 'o' object (fields: the known ones, whose values must fit;
// others are ignored by the decoder and may hold any value), 'm' an object
// of anything (map[string]any), 'a' an array of elem, 'x' absent only.
type shape struct {
	kind   byte
	fields map[string]shape
	elem   *shape
}

var (
	str      = shape{kind: 's'}
	anyMap   = shape{kind: 'm'}
	emptyObj = shape{kind: 'o'}
)

// paramsShape is go-sdk v1.8's initializeParamsV2 (InitializeParams with
// clientCapabilitiesV2): the types its decoder fills. Built when a line
// is checked, not at init: every command's start would pay for the maps.
func paramsShape() shape {
	return shape{kind: 'o', fields: map[string]shape{
		"_meta":           {kind: 'x'}, // may select the stateless protocol: go-sdk decides
		"protocolVersion": str,
		"capabilities":    capabilitiesShape(),
		"clientInfo":      clientInfoShape(),
	}}
}

// capabilitiesShape is go-sdk v1.8's clientCapabilitiesV2.
func capabilitiesShape() shape {
	return shape{kind: 'o', fields: map[string]shape{
		"experimental": anyMap,
		"extensions":   anyMap,
		"roots":        {kind: 'o', fields: map[string]shape{"listChanged": {kind: 'b'}}},
		"sampling":     {kind: 'o', fields: map[string]shape{"context": emptyObj, "tools": emptyObj}},
		"elicitation":  {kind: 'o', fields: map[string]shape{"form": emptyObj, "url": emptyObj}},
	}}
}

// clientInfoShape is go-sdk v1.8's Implementation.
func clientInfoShape() shape {
	return shape{kind: 'o', fields: map[string]shape{
		"name": str, "title": str, "description": str, "version": str, "websiteUrl": str,
		"icons": {kind: 'a', elem: &shape{kind: 'o', fields: map[string]shape{
			"src": str, "mimeType": str, "sizes": {kind: 'a', elem: &str}, "theme": str,
		}}},
	}}
}

// The _meta keys of the 2026-07-28 protocol's requests (go-sdk's
// MetaKeyProtocolVersion, MetaKeyClientInfo, MetaKeyClientCapabilities,
// MetaKeyLogLevel).
const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientInfo         = "io.modelcontextprotocol/clientInfo"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	metaLogLevel           = "io.modelcontextprotocol/logLevel"
)

// parseDiscover accepts line only when it is a server/discover request
// go-sdk is sure to answer with its result, and returns the response's id.
// go-sdk answers server/discover only in the 2026-07-28 protocol, which the
// request selects through its _meta; its result depends on nothing of the
// request but the id (the transport's versions, the server's capabilities,
// instructions and serverInfo are constants). See parseStateless for what
// is accepted.
func parseDiscover(line []byte) ([]byte, bool) {
	return parseStateless(line, "server/discover")
}

// parseStatelessToolsList accepts a tools/list request of the 2026-07-28
// protocol without a cursor (what a client sends once it has the
// server/discover result), and returns the response's id.
func parseStatelessToolsList(line []byte) ([]byte, bool) {
	return parseStateless(line, "tools/list")
}

// parseStateless accepts a request for method in the 2026-07-28 protocol
// whose params are exactly {"_meta":{…}}, with, in _meta, protocolVersion
// "2026-07-28" (the one stateless version go-sdk supports: a later one is
// an error), the clientCapabilities go-sdk requires, of the type it decodes
// them into, clientInfo absent or of its type, a logLevel absent or a
// string, and nothing else. Anything else goes to go-sdk (FuzzPreanswer).
func parseStateless(line []byte, method string) ([]byte, bool) {
	msg, ok := parseMessage(line, method)
	if !ok {
		return nil, false
	}
	params, _ := msg["params"].(object)
	if params == nil || !onlyKeys(params, "_meta") {
		return nil, false
	}
	meta, _ := params["_meta"].(object)
	if meta == nil || !onlyKeys(meta, metaProtocolVersion, metaClientInfo, metaClientCapabilities, metaLogLevel) ||
		meta[metaProtocolVersion] != statelessVersion {
		return nil, false
	}
	if caps, present := meta[metaClientCapabilities]; !present || !capabilitiesShape().fits(caps) {
		return nil, false
	}
	if info, present := meta[metaClientInfo]; present && !clientInfoShape().fits(info) {
		return nil, false
	}
	if level, present := meta[metaLogLevel]; present && !str.fits(level) {
		return nil, false
	}
	return responseID(msg["id"])
}

// fits reports whether v has the shape (null never fits: conservative).
func (s shape) fits(v any) bool {
	switch s.kind {
	case 's':
		_, ok := v.(string)
		return ok
	case 'b':
		_, ok := v.(bool)
		return ok
	case 'm':
		_, ok := v.(object)
		return ok
	case 'a':
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range arr {
			if !s.elem.fits(e) {
				return false
			}
		}
		return true
	case 'o':
		o, ok := v.(object)
		if !ok {
			return false
		}
		for k, fv := range o {
			if f, known := s.fields[k]; known && !f.fits(fv) {
				return false
			}
		}
		return true
	}
	return false // 'x'
}

// A strict JSON parser for one line: objects as object, arrays as []any,
// strings as string, numbers as number (their text), true, false, null.

type (
	object map[string]any
	number string
)

type parser struct {
	b     []byte
	i     int
	depth int
}

const maxDepth = 32

func (p *parser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) value() (any, bool) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.string()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(p.b)-p.i >= len(lit.s) && string(p.b[p.i:p.i+len(lit.s)]) == lit.s {
			p.i += len(lit.s)
			return lit.v, true
		}
	}
	return nil, false
}

func (p *parser) object() (any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	p.i++ // {
	o := object{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return o, true
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		start := p.i
		k, ok := p.string()
		if !ok || containsByte(p.b[start:p.i], '\\') { // an escaped key: let go-sdk's decoder match it
			return nil, false
		}
		if _, dup := o[k.(string)]; dup {
			return nil, false
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		o[k.(string)] = v
		p.ws()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return o, true
		default:
			return nil, false
		}
	}
}

func (p *parser) array() (any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	p.i++ // [
	a := []any{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.ws()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return a, true
		default:
			return nil, false
		}
	}
}

func (p *parser) string() (any, bool) {
	p.i++ // "
	var out []byte
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw := p.b[start:p.i]
			p.i++
			if !utf8.Valid(raw) {
				return nil, false
			}
			if out == nil && !containsByte(raw, '\\') {
				return string(raw), true
			}
			return string(out), true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if out == nil {
				out = append([]byte{}, p.b[start:p.i]...)
			}
			if p.i+1 >= len(p.b) {
				return nil, false
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				if p.i+4 > len(p.b) {
					return nil, false
				}
				r, ok := hex4(p.b[p.i : p.i+4])
				if !ok || r >= 0xD800 && r <= 0xDFFF { // surrogates: go-sdk's decoder decides
					return nil, false
				}
				out = utf8.AppendRune(out, rune(r))
				p.i += 4
			default:
				return nil, false
			}
		default:
			if out != nil {
				out = append(out, c)
			}
			p.i++
		}
	}
	return nil, false
}

func (p *parser) number() (any, bool) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits() {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return nil, false
		}
	}
	return number(p.b[start:p.i]), true
}

// digits skips one or more digits.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// hex4 decodes the four hex digits of a \u escape. (Not strconv: this
// package keeps to the packages os needs, so it initializes early.)
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}
