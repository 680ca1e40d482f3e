// Package preanswer answers the MCP handshake of `mcpmend serve` on stdio
// — initialize, then the tools/list a client sends once it has the result;
// or, in the 2026-07-28 protocol, server/discover and a tools/list after it
// — while the rest of the binary is still starting.
//
// Every client session spawns `mcpmend serve` and waits for its initialize
// result before anything else. Most of that wait was not mcpmend's work but
// the Go runtime's and the packages' initialization (go-sdk brings
// net/http, crypto, encoding/gob and jsonschema along), which all runs
// before main. This package imports only small standard packages, so it is
// initialized early, and so is the binary's cmd/mcpmend/internal/early,
// whose init calls Start with the process's stdin and stdout: a goroutine,
// on the second core, reads the first line of stdin. When that line is an initialize
// request it writes the result go-sdk would write; when the next line is
// notifications/initialized and the one after it a plain tools/list (what
// Claude Code 2.1.119/2.1.150 and go-sdk's client send), it writes go-sdk's
// tool list too. When the first line is a server/discover of the 2026-07-28
// protocol (Claude Code 2.1.328's first line), it writes go-sdk's discover
// result, and go-sdk's tool list when the next line is a tools/list of that
// protocol without a cursor.
// Meanwhile the other packages initialize, main parses the flags through
// the one command table, builds the tools' server and hands it the streams
// from Streams. A client so has mcpmend's tools about when a trivial Go
// program would have answered it.
// (bench/coldstart measures both figures a client waits for: spawn →
// initialize result, and spawn → tools/list result; docs/benchmarks.md.)
//
// Why the answer is the one go-sdk would give:
//
//   - go-sdk's initialize result depends on the request only through its id
//     and protocolVersion; the rest is the server's constants: Name, Title,
//     Instructions and the build's version (internal/buildinfo, the same
//     tools.Version is set from), and the capabilities of a server with
//     tools and a prompt. tools.NewServer is built from the same constants,
//     and TestPreanswerEqualsSDK compares the answer byte for byte with a
//     real tools.NewServer's for every protocol version go-sdk supports, an
//     unknown one and an absent one.
//   - The tool list is the one a real tools.NewServer lists after the
//     handshake, generated into toolslist.json (go generate
//     ./tools/preanswer; TestToolsListSnapshot keeps it current). Before a
//     tools/call nothing can change it: only bridge_server adds tools. Only
//     a tools/list without params (no cursor, no _meta) right after the
//     handshake is pre-answered.
//   - go-sdk answers server/discover only when the request's _meta selects
//     the 2026-07-28 protocol, and its result then depends on nothing of the
//     request but its id: resultType "complete", serverInfo in _meta, the
//     default cache hints, the versions of a transport that serves them all,
//     the capabilities and instructions (TestDiscoverEqualsSDK). A tools/list
//     of that protocol is the snapshot's list after the same resultType and
//     serverInfo (TestStatelessToolsListEqualsSDK). parseStateless accepts
//     only params of exactly {"_meta":{…}} whose protocolVersion is
//     "2026-07-28" (a later one is an error), with the clientCapabilities
//     go-sdk requires and clientInfo and logLevel of the types it decodes
//     (or absent), and no other key. Claude Code 2.1.328's second line is
//     subscriptions/listen, which go-sdk answers with an acknowledgment and
//     keeps open: not pre-answered, so its later server/discover (id 0) and
//     tools/list are go-sdk's to answer — passing over a request go-sdk
//     answers concurrently is not provably the same session.
//   - Only a request go-sdk is sure to answer with a result is pre-answered
//     (parseInitialize): strict JSON on one line, every field of the type
//     go-sdk decodes it into, no _meta (which may select the stateless
//     2026-07-28 protocol, where initialize is an error), an id go-sdk
//     writes back unchanged. Anything else — a batch, server/discover, a
//     request split over lines — reaches go-sdk untouched and go-sdk
//     answers. FuzzPreanswer checks that whatever is accepted (initialize,
//     server/discover, either tools/list), a real go-sdk server answers the
//     same bytes.
//   - go-sdk still receives every byte (replay) and handles every
//     message, the pre-answered ones included, so the session's state
//     (negotiated version, client info, then notifications/initialized; the
//     2026-07-28 client's _meta) is exactly as without the pre-answer. Each
//     line reaches go-sdk as soon as its pre-answer is written (or it is
//     known not to be answered), so go-sdk works on it while the client
//     writes its next line; a pre-answered request is registered before
//     go-sdk can read it. Only go-sdk's response to a pre-answered request
//     is not written (filter): the client already has it. go-sdk handles
//     initialize synchronously, before it reads the next message, so that
//     response is the first one it writes with that id (should it differ
//     from the pre-answer, it is logged to stderr); server/discover and
//     tools/list it handles concurrently, so for those only a response
//     equal to the pre-answer is dropped.
//   - The end of stdin reaches go-sdk only once it has written its
//     responses to the pre-answered requests (awaitSettled): a client that
//     closes stdin as soon as it has its answers (claude mcp list) still
//     leaves go-sdk the whole session, and the handshake hook (the journal
//     replay) runs.
//   - stdout carries nothing but protocol: each pre-answer is written
//     before go-sdk has read the request it answers, and go-sdk writes
//     nothing for the earlier lines but their (dropped) responses; writes
//     to stdout are whole messages. serve with -h or --help is not
//     pre-answered (help goes to
//     stdout); serve with a bad flag still exits with its usage error on
//     stderr (a client that sent initialize has read a result, then sees
//     the process end, as when any server dies after its handshake).
//
// MCPMEND_PREANSWER=off turns it off.
package preanswer
