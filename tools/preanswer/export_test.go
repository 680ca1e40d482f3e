package preanswer

import "io"

// Exported for the external tests, which drive a real tools.NewServer.

// ParseAndRespond is the pre-answer for one line, or false when it leaves
// the line to go-sdk.
func ParseAndRespond(line []byte, version string) ([]byte, bool) {
	req, ok := parseInitialize(line)
	if !ok {
		return nil, false
	}
	return response(req.id, req.protocolVersion, version), true
}

// StartWith is the pre-answer as Start begins it for serve, on in and out,
// with a fixed version.
func StartWith(in io.Reader, out io.Writer, version string) func(stdin io.Reader, stdout io.Writer, warn func(string)) (io.Reader, io.Writer) {
	return start(in, out, func() string { return version }).streams
}

// AppendString is appendString.
var AppendString = appendString

// Wanted is wanted.
var Wanted = wanted

// SupportedVersions is the SDK's list as this package knows it.
var SupportedVersions = supportedVersions

// ToolsListFor is the pre-answer for a tools/list line, or false.
func ToolsListFor(line []byte) ([]byte, bool) {
	id, ok := parseToolsList(line)
	if !ok {
		return nil, false
	}
	return toolsListResponse(id), true
}

// ToolsList is the embedded snapshot.
var ToolsList = &toolsList

// DiscoverFor is the pre-answer for a server/discover line, or false.
func DiscoverFor(line []byte, version string) ([]byte, bool) {
	id, ok := parseDiscover(line)
	if !ok {
		return nil, false
	}
	return discoverResponse(id, version), true
}

// StatelessToolsListFor is the pre-answer for a 2026-07-28 tools/list
// line, or false.
func StatelessToolsListFor(line []byte, version string) ([]byte, bool) {
	id, ok := parseStatelessToolsList(line)
	if !ok {
		return nil, false
	}
	return statelessToolsListResponse(id, version), true
}
