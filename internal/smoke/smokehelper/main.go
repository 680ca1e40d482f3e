// Command smokehelper is the cast of .ci/smoke, the Windows smoke run (native
// or under Wine): the MCP servers, the broken HTTP servers, the program that
// holds a file open, and a launcher that gives mcpmend an exact environment.
// Every server exits by itself after -life, so a smoke run that is killed
// leaves nothing running for long.
//
//	smokehelper mcp-stdio                    a stdio MCP server
//	smokehelper mcp-http PORTFILE TOKEN      streamable HTTP; 401 without "X-Smoke-Token: TOKEN"
//	smokehelper close-on-accept PORTFILE     accepts each connection and closes it at once
//	smokehelper free-port                    prints a loopback port nothing listens on
//	smokehelper hold FILE MAXWAIT            opens FILE without FILE_SHARE_DELETE (Windows) until a writer
//	                                         waits to replace it, then says whether one still waited
//	smokehelper lock LOCKFILE RELEASEFILE MAXWAIT
//	                                         locks a LevelDB LOCK as Chromium does (Windows), prints "locked",
//	                                         and holds it until RELEASEFILE exists or MAXWAIT passes
//	smokehelper run ROOT PATHDIRS -- CMD…    runs CMD with the fake profile ROOT and Path=PATHDIRS
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// life bounds every server: the smoke is over in minutes.
const life = 5 * time.Minute

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: smokehelper MODE ARGS…"))
	}
	go func() { time.Sleep(life); os.Exit(3) }()
	var err error
	switch args := os.Args[2:]; os.Args[1] {
	case "mcp-stdio":
		err = newServer().Run(context.Background(), &mcp.StdioTransport{})
	case "mcp-http":
		err = serveHTTP(args)
	case "close-on-accept":
		err = closeOnAccept(args)
	case "free-port":
		err = freePort()
	case "hold":
		err = hold(args)
	case "lock":
		err = lockLikeChromium(args)
	case "run":
		err = run(args)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "smokehelper:", err)
	os.Exit(2)
}

// newServer is a small healthy MCP server with one tool.
func newServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "smoke", Version: "1.0.0"}, nil)
	type in struct {
		Text string `json:"text" jsonschema:"what to echo"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echo text"}, func(_ context.Context, _ *mcp.CallToolRequest, v in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: v.Text}}}, nil, nil
	})
	return s
}

// listen opens a loopback listener and writes its port to portFile.
func listen(portFile string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(portFile+".tmp", []byte(port), 0o600); err != nil {
		return nil, err
	}
	return ln, os.Rename(portFile+".tmp", portFile)
}

// serveHTTP serves MCP over streamable HTTP to requests that carry the
// token a headersHelper printed.
func serveHTTP(args []string) error {
	if len(args) != 2 {
		return errors.New("mcp-http PORTFILE TOKEN")
	}
	ln, err := listen(args[0])
	if err != nil {
		return err
	}
	s := newServer()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Smoke-Token") != args[1] {
			http.Error(w, "missing X-Smoke-Token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// closeOnAccept is a server that is up but never answers: every connection
// is closed as soon as it is accepted.
func closeOnAccept(args []string) error {
	if len(args) != 1 {
		return errors.New("close-on-accept PORTFILE")
	}
	ln, err := listen(args[0])
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		c.Close()
	}
}

// freePort prints a port that was free a moment ago: dialling it is refused.
func freePort() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	fmt.Println(port)
	return nil
}

// hold keeps FILE open the way a virus scanner or an editor does, so a
// rename over it or a delete of it is refused meanwhile. It holds on until a
// writer shows up — its replacement ready beside the file as
// <name>.tmp.<pid>.<hex> — and 500 ms more, so the writer is refused at least
// once and then must retry, or until MAXWAIT without any writer.
func hold(args []string) error {
	if len(args) != 2 {
		return errors.New("hold FILE MAXWAIT")
	}
	maxWait, err := time.ParseDuration(args[1])
	if err != nil {
		return err
	}
	release, err := openWithoutDeleteSharing(args[0])
	if err != nil {
		return err
	}
	fmt.Println("held")
	deadline := time.Now().Add(maxWait)
	seen := false
	for !seen && time.Now().Before(deadline) {
		waiting, _ := filepath.Glob(args[0] + ".tmp.*")
		seen = len(waiting) > 0
		time.Sleep(5 * time.Millisecond)
	}
	if seen {
		time.Sleep(500 * time.Millisecond)
	}
	waiting, _ := filepath.Glob(args[0] + ".tmp.*")
	release()
	fmt.Printf("released with %d writer(s) waiting\n", len(waiting))
	return nil
}

// lockLikeChromium plays a running Claude Desktop for its Local Storage.
func lockLikeChromium(args []string) error {
	if len(args) != 3 {
		return errors.New("lock LOCKFILE RELEASEFILE MAXWAIT")
	}
	maxWait, err := time.ParseDuration(args[2])
	if err != nil {
		return err
	}
	release, err := lockFile(args[0])
	if err != nil {
		return err
	}
	fmt.Println("locked")
	deadline := time.Now().Add(maxWait)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(args[1]); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	release()
	fmt.Println("unlocked")
	return nil
}

// profileVars are replaced by run, whatever their case.
var profileVars = []string{"PATH", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "TEMP", "TMP", "HOME",
	"HOMEDRIVE", "HOMEPATH", "CLAUDE_CONFIG_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"}

// run starts CMD on the fake profile ROOT: USERPROFILE=ROOT, APPDATA and
// LOCALAPPDATA under it, TEMP=ROOT\AppData\Local\Temp, and the search path
// spelled as Windows spells it: "Path". Its exit status is passed on.
func run(args []string) error {
	if len(args) < 4 || args[2] != "--" {
		return errors.New("run ROOT PATHDIRS -- CMD ARGS…")
	}
	root, pathDirs, argv := args[0], args[1], args[3:]
	env := []string{
		"USERPROFILE=" + root,
		"HOME=" + root,
		"APPDATA=" + filepath.Join(root, "AppData", "Roaming"),
		"LOCALAPPDATA=" + filepath.Join(root, "AppData", "Local"),
		"TEMP=" + filepath.Join(root, "AppData", "Local", "Temp"),
		"TMP=" + filepath.Join(root, "AppData", "Local", "Temp"),
		"Path=" + pathDirs,
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !isProfileVar(name) {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	return err
}

func isProfileVar(name string) bool {
	for _, v := range profileVars {
		if strings.EqualFold(name, v) {
			return true
		}
	}
	return false
}
