package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/tools"
)

func init() {
	commands["version"] = command{"print the version", runVersion}
	commands["list"] = command{"list configured servers", runList}
	commands["serve"] = command{"run the MCP server on stdio", runServe}
}

func runVersion(_ context.Context, a *app, _ []string) error {
	return a.emit(map[string]string{"version": tools.Version}, "mcpmend "+tools.Version+"\n")
}

func runList(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("list", a.stderr)
	var in tools.ListServersInput
	fs.StringVar(&in.Client, "client", "", "only this client")
	fs.StringVar(&in.Name, "name", "", "only servers with this name")
	fs.StringVar(&in.Project, "project", "", "only servers that apply in this project directory")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 1 && in.Name == "" {
		in.Name = pos[0]
	} else if len(pos) > 0 {
		return fmt.Errorf("unexpected arguments %q", pos)
	}
	out, err := tools.ListServers(ctx, a.deps, in)
	if err != nil {
		return err
	}
	return a.emit(out, out.Text())
}

// runServe serves MCP on stdio; with --http ADDR it also serves streamable
// HTTP there, for clients that dial a URL. Nothing but protocol goes to stdout.
func runServe(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("serve", a.stderr)
	addr := fs.String("http", "", "also serve streamable HTTP on this address (e.g. 127.0.0.1:7331)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	log := a.deps.Logger
	defer a.deps.Close() // end every bridge_server upstream session
	if *addr != "" {
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return fmt.Errorf("--http %s: %w", *addr, err)
		}
		h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return tools.NewServer(a.deps) }, nil)
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		log.Info("serving streamable HTTP", "addr", ln.Addr().String())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server", "err", err)
			}
		}()
		defer srv.Close()
	}
	log.Info("serving MCP on stdio", "version", tools.Version)
	t := &mcp.IOTransport{Reader: readCloser{a.stdin}, Writer: writeCloser{a.stdout}}
	if err := tools.NewServer(a.deps).Run(ctx, t); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// readCloser and writeCloser adapt the app's streams to IOTransport without
// closing the process's real stdin/stdout underneath other code.
type readCloser struct{ r io.Reader }

func (r readCloser) Read(p []byte) (int, error) { return r.r.Read(p) }
func (readCloser) Close() error                 { return nil }

type writeCloser struct{ w io.Writer }

func (w writeCloser) Write(p []byte) (int, error) { return w.w.Write(p) }
func (writeCloser) Close() error                  { return nil }
