package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Bounds on what a probe reads from a remote server: a hostile or broken
// server must not make the probe run out of memory (an endless
// application/json body once took 2.5 GB in seconds). The go-sdk's
// streamable and SSE clients read bodies themselves, so the cap sits in the
// RoundTripper under them: every body of every response is capped.
const (
	maxBodyBytes   = 4 << 20   // one response body
	maxHeaderBytes = 256 << 10 // one response's headers
)

// errBodyTooLarge ends a body that went past maxBodyBytes.
var errBodyTooLarge = fmt.Errorf("response body larger than %d MB: a probe reads no more", maxBodyBytes>>20)

// probeTransport is the base http.Transport of every request a probe sends:
// bounded headers, and a dialer that may also refuse addresses (guard).
func probeTransport(guard func(network, address string, c syscall.RawConn) error) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxResponseHeaderBytes = maxHeaderBytes
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: guard}
	t.DialContext = d.DialContext
	return t
}

// cappedTransport caps every response body.
type cappedTransport struct{ base http.RoundTripper }

func (c cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	// A 101 hands the connection to the WebSocket, which bounds its own
	// messages (SetReadLimit) and needs the body's ReadWriteCloser.
	if err == nil && resp.Body != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body = &cappedBody{rc: resp.Body, left: maxBodyBytes}
	}
	return resp, err
}

// cappedBody fails a read past its budget instead of returning more.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// errForbiddenAddress is a dial the metadata guard refused.
var errForbiddenAddress = errors.New("address is link-local or a cloud metadata service")

// metadataAddrs are cloud metadata services outside the link-local ranges.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
}

// refuseMetadata is a net.Dialer Control function for the OAuth metadata
// fetches that run without the go-sdk's address guard: it sees the
// address actually dialled — after DNS, and for every redirect — and
// refuses link-local (169.254.0.0/16, fe80::/10, where 169.254.169.254
// serves instance credentials) and other metadata addresses. A metadata
// URL comes from the server's 401, so it is the server's choice, not the
// user's.
func refuseMetadata(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if forbiddenAddr(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", address, errForbiddenAddress)
	}
	return nil
}

func forbiddenAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
		return true
	}
	for _, m := range metadataAddrs {
		if a == m {
			return true
		}
	}
	return false
}

// within returns a context done when either parent or life is.
func within(parent, life context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	context.AfterFunc(life, cancel)
	return ctx
}
