package preanswer_test

import (
	"bufio"
	"io"
	"testing"

	"github.com/mcpmend/mcpmend/tools"
	"github.com/mcpmend/mcpmend/tools/preanswer"
)

// BenchmarkPreanswerHandshake is the pre-answer's own work on serve's
// start path, from the client's pipelined initialize, initialized and
// tools/list to both answers read back: reading and parsing the lines and
// writing the initialize result and the tool list. The rest of a cold
// start is the runtime's and the packages' initialization, which this runs
// beside (bench/coldstart times the whole process).
//
//	go test ./tools/preanswer -run '^$' -bench PreanswerHandshake -benchmem
func BenchmarkPreanswerHandshake(b *testing.B) {
	input := handshake + `{"jsonrpc":"2.0","id":1,"method":"tools/list"}` + "\n"
	for b.Loop() {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		preanswer.StartWith(inR, outW, tools.Version)
		go io.WriteString(inW, input)
		r := bufio.NewReaderSize(outR, 64<<10)
		for range 2 {
			if _, err := r.ReadSlice('\n'); err != nil && err != bufio.ErrBufferFull {
				b.Fatal(err)
			}
		}
		inW.Close()
		outR.Close()
	}
}
