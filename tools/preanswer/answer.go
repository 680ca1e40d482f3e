package preanswer

import (
	_ "embed"
	"unicode/utf8"
)

// Name and Title are mcpmend's serverInfo name and title (tools.NewServer
// gives the SDK the same constants).
const (
	Name  = "mcpmend"
	Title = "mcpmend — diagnose and heal MCP servers"
)

// Instructions is the text sent to clients as server instructions.
//
//go:embed instructions.md
var Instructions string

// supportedVersions are the protocol versions go-sdk supports, newest first
// (mcp.SupportedProtocolVersions; TestSupportedVersions keeps them equal).
// This package cannot import the SDK: it would wait for the SDK's
// dependencies (net/http, crypto, jsonschema) to initialize.
var supportedVersions = []string{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// statelessVersion is the first protocol without initialize: go-sdk never
// answers initialize with it or a later version.
const statelessVersion = "2026-07-28"

// negotiate is go-sdk's answer to the client's protocolVersion in
// initialize: the client's when supported and older than the stateless
// protocol, else the newest supported version before it.
func negotiate(client string) string {
	for _, v := range supportedVersions {
		if v == client && client < statelessVersion {
			return client
		}
	}
	for _, v := range supportedVersions {
		if v < statelessVersion {
			return v
		}
	}
	return "2025-11-25"
}

// response is the exact line go-sdk writes for an initialize request with
// this id (already encoded as the SDK encodes it) from a client asking for
// protocolVersion, by a server built like tools.NewServer: its tools and a
// prompt (so the tools and prompts capabilities with listChanged) and the
// logging capability every go-sdk server has. Field order and string escapes
// are encoding/json's with SetEscapeHTML(false), as go-sdk's jsonrpc2 writes
// them. TestPreanswerEqualsSDK compares it byte for byte with a real
// tools.NewServer's answer for every protocol version.
func response(id []byte, protocolVersion, version string) []byte {
	b := make([]byte, 0, 256+len(Instructions))
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"result":{"capabilities":{"logging":{},"prompts":{"listChanged":true},"tools":{"listChanged":true}},"instructions":`...)
	b = appendString(b, Instructions)
	b = append(b, `,"protocolVersion":`...)
	b = appendString(b, negotiate(protocolVersion))
	b = append(b, `,"serverInfo":{"name":`...)
	b = appendString(b, Name)
	b = append(b, `,"title":`...)
	b = appendString(b, Title)
	b = append(b, `,"version":`...)
	b = appendString(b, version)
	return append(b, "}}}\n"...)
}

// discoverResponse is the exact line go-sdk writes for a server/discover
// request with this id (encoded as go-sdk encodes it) that parseDiscover
// accepted: a DiscoverResult of the 2026-07-28 protocol (resultType
// "complete", the serverInfo in _meta, the default cache hints tools.NewServer
// leaves alone), the versions of a transport that serves them all (stdio),
// the capabilities and instructions of initialize's result.
// TestDiscoverEqualsSDK compares it byte for byte with a real tools.NewServer's.
func discoverResponse(id []byte, version string) []byte {
	b := make([]byte, 0, 512+len(Instructions))
	b = appendStatelessResult(b, id, version)
	b = append(b, `,"ttlMs":0,"cacheScope":"public","supportedVersions":[`...)
	for i, v := range supportedVersions {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	b = append(b, `],"capabilities":{"logging":{},"prompts":{"listChanged":true},"tools":{"listChanged":true}},"instructions":`...)
	b = appendString(b, Instructions)
	return append(b, "}}\n"...)
}

// appendStatelessResult appends the start of go-sdk's response with this id
// to a request of the 2026-07-28 protocol, up to the result's own fields:
// resultType "complete" and mcpmend's serverInfo in _meta, which go-sdk
// adds to every such result.
func appendStatelessResult(b, id []byte, version string) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"result":{"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":`...)
	b = appendString(b, Name)
	b = append(b, `,"title":`...)
	b = appendString(b, Title)
	b = append(b, `,"version":`...)
	b = appendString(b, version)
	return append(b, `}}`...)
}

// toolsList is go-sdk's tools/list result for tools.NewServer's tools as
// a client lists them right after the handshake: before any tools/call, so
// before bridge_server can have added a tool. It is generated from a real
// server (go generate ./tools/preanswer); TestToolsListSnapshot keeps it
// equal to what tools.NewServer answers.
//
//go:generate go test -run ^TestToolsListSnapshot$ -update
//go:embed toolslist.json
var toolsList []byte

// toolsListResponse is go-sdk's line for a tools/list request with this id
// (encoded as go-sdk encodes it) and no params.
func toolsListResponse(id []byte) []byte {
	b := make([]byte, 0, 64+len(toolsList))
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"result":`...)
	b = append(b, toolsList...)
	return append(b, "}\n"...)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string exactly as encoding/json does
// with SetEscapeHTML(false): ", \ and control characters escaped (\b, \f,
// \n, \r, \t short), invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, `\b`...)
			case '\f':
				dst = append(dst, `\f`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\t':
				dst = append(dst, `\t`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// statelessToolsListResponse is go-sdk's line for a tools/list request of
// the 2026-07-28 protocol (parseStatelessToolsList) with this id: the same
// list, after resultType and the serverInfo.
func statelessToolsListResponse(id []byte, version string) []byte {
	b := make([]byte, 0, 256+len(toolsList))
	b = appendStatelessResult(b, id, version)
	b = append(b, ',')
	b = append(b, toolsList[1:]...) // toolsList's members, after its '{'
	return append(b, "}\n"...)
}
