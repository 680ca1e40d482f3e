package lockedfile

import (
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// BusyBudget bounds how long a rename or remove is retried while another
// program has the file open. Go's cmd/go retries for 2 s (robustio), Node's
// graceful-fs for up to 60 s on Windows; an antivirus scan or a sync client's
// read is over in well under a second, so 2 s covers them without making a
// truly stuck file hang a command for long.
const BusyBudget = 2 * time.Second

// BusyError reports a file that another program kept open through every
// retry. Nothing was changed by the failed operation.
type BusyError struct {
	Op     string        // "replace" or "delete"
	Path   string        // the file another program holds
	Tries  int           // attempts made
	Waited time.Duration // time spent retrying
	Err    error         // the last error from the OS
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s %s: another program has the file open (an antivirus scan, a sync client such as OneDrive "+
		"or Dropbox, an editor, or Claude Code itself); still refused after %d tries over %s; close that program "+
		"or wait a moment and try again: %v",
		e.Op, e.Path, e.Tries, e.Waited.Round(time.Millisecond), e.Err)
}

// Unwrap gives the OS error (e.g. ERROR_SHARING_VIOLATION).
func (e *BusyError) Unwrap() error { return e.Err }

// retrier runs an operation until it succeeds, fails in a way that is not
// transient, or the budget is spent. It is pure: the classifier, clock and
// sleep are given, so the policy is tested on any OS.
type retrier struct {
	transient func(error) bool // is this failure another program holding the file?
	budget    time.Duration
	now       func() time.Time
	sleep     func(time.Duration)
	jitter    func(time.Duration) time.Duration // extra delay in [0, d)
}

// systemRetrier retries what this OS reports as a sharing conflict.
func systemRetrier() retrier {
	return retrier{
		transient: isSharingConflict,
		budget:    BusyBudget,
		now:       time.Now,
		sleep:     time.Sleep,
		jitter: func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return time.Duration(rand.Int64N(int64(d)))
		},
	}
}

// do runs op. A non-transient error is returned as it is, at once; a
// transient one still failing when the budget is spent comes back as a
// *BusyError naming op and path. Delays start at 1 ms and roughly double, as
// robustio's do, so a short scan costs milliseconds, and never overshoot the
// budget.
func (r retrier) do(opName, path string, op func() error) error {
	start := r.now()
	delay := time.Millisecond
	for tries := 1; ; tries++ {
		err := op()
		if err == nil || !r.transient(err) {
			return err
		}
		waited := r.now().Sub(start)
		if waited >= r.budget {
			return &BusyError{Op: opName, Path: path, Tries: tries, Waited: waited, Err: err}
		}
		r.sleep(min(delay+r.jitter(delay), r.budget-waited))
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// Rename renames oldpath to newpath, retrying while another program has
// either open (Windows refuses a rename over an open file); newpath is the
// file named when it gives up.
func Rename(oldpath, newpath string) error {
	return systemRetrier().do("replace", newpath, func() error { return os.Rename(oldpath, newpath) })
}
