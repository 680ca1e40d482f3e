package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// TestNetVerdict pins how transport errors map to verdicts, including
// those no loopback test can produce (a name that does not resolve, no
// route) — the errors as net/http wraps them.
func TestNetVerdict(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://mcp.example/mcp", Err: err} }
	opErr := func(errno syscall.Errno) error {
		return wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}})
	}
	tests := []struct {
		err  error
		want Verdict
	}{
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "mcp.example", IsNotFound: true}}), Unreachable},
		{opErr(syscall.ECONNREFUSED), Unreachable},
		{opErr(syscall.EHOSTUNREACH), Unreachable},
		{opErr(syscall.ENETUNREACH), Unreachable},
		{opErr(syscall.Errno(10061)), Unreachable}, // WSAECONNREFUSED
		{opErr(syscall.Errno(10065)), Unreachable}, // WSAEHOSTUNREACH
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), TLSError},
		{wrap(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "mcp.example"}), TLSError},
		{wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), TLSError},
		{fmt.Errorf("sending: %w", wrap(fmt.Errorf("remote error: tls: handshake failure"))), TLSError},
	}
	for _, tt := range tests {
		p := newProber(remoteServer("x", "http", "https://mcp.example/mcp"), quick().withDefaults())
		if !p.netVerdict(PhaseHandshake, tt.err) || p.r.Verdict != tt.want {
			t.Errorf("%v: verdict %q, want %s", tt.err, p.r.Verdict, tt.want)
		}
	}
	p := newProber(remoteServer("x", "http", "https://mcp.example/mcp"), quick().withDefaults())
	if p.netVerdict(PhaseHandshake, fmt.Errorf("unexpected EOF")) {
		t.Errorf("an unknown error was classified as %s", p.r.Verdict)
	}
}
