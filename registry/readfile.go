package registry

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Size caps for the files clients own. ~/.claude.json holds prompt history
// and reaches 100 MB on busy machines, so it gets room to grow; every other
// client file is a few kilobytes of settings.
const (
	maxClaudeJSONSize = 256 << 20
	maxConfigSize     = 16 << 20
)

// errNotRegular is a path that is not a regular file: a FIFO (reading it
// would wait forever for a writer), a device such as /dev/zero (endless),
// a directory or a socket. A symlink to a regular file is fine.
var errNotRegular = errors.New("not a regular file")

// openRegular opens path for reading only when it is a regular file. It
// opens without blocking (a FIFO swapped in after the Stat still cannot
// hang the open) and checks the opened file again, so what is read is what
// was checked. The size cap is checked against both.
func openRegular(path string, limit int64) (*os.File, os.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if err := regular(st, limit); err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err == nil {
		err = regular(st, limit)
	}
	if err != nil {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return f, st, nil
}

// regular checks a file's type and size.
func regular(st os.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%w (%s): clients read only regular files, and so does mcpmend", errNotRegular, kindOfMode(st.Mode()))
	}
	if st.Size() > limit {
		return fmt.Errorf("the file is %d MB, more than the %d MB mcpmend reads of it", st.Size()>>20, limit>>20)
	}
	return nil
}

// kindOfMode names a non-regular file's type for messages.
func kindOfMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// readBounded reads a whole regular file of at most limit bytes. A file
// that grows past the limit while it is read is refused too.
func readBounded(path string, limit int64) ([]byte, error) {
	f, st, err := openRegular(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("the file grew past the %d MB mcpmend reads of it (it was %d bytes)", limit>>20, st.Size())}
	}
	return data, nil
}
