package lockedfile

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"time"
)

// errHeld stands for the OS error a sharing conflict gives.
var errHeld = errors.New("the process cannot access the file because it is being used by another process")

// fakeClock is a retrier whose time only moves when it sleeps.
func fakeRetrier(budget time.Duration) (*retrier, *[]time.Duration) {
	var slept []time.Duration
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &retrier{
		transient: func(err error) bool { return errors.Is(err, errHeld) },
		budget:    budget,
		now:       func() time.Time { return now },
		jitter:    func(time.Duration) time.Duration { return 0 },
	}
	r.sleep = func(d time.Duration) { slept = append(slept, d); now = now.Add(d) }
	return r, &slept
}

func TestRetrySucceedsOnceTheHolderLetsGo(t *testing.T) {
	r, slept := fakeRetrier(2 * time.Second)
	calls := 0
	err := r.do("replace", `C:\Users\a\.claude.json`, func() error {
		calls++
		if calls < 4 {
			return errHeld
		}
		return nil
	})
	if err != nil {
		t.Fatalf("err = %v, want success on the 4th try", err)
	}
	if calls != 4 || len(*slept) != 3 {
		t.Fatalf("calls %d, sleeps %v; want 4 calls, 3 sleeps", calls, *slept)
	}
	for i := 1; i < len(*slept); i++ {
		if (*slept)[i] <= (*slept)[i-1] {
			t.Errorf("delays do not grow: %v", *slept)
		}
	}
}

func TestRetryGivesUpAtTheBudgetAndNamesTheFile(t *testing.T) {
	r, slept := fakeRetrier(2 * time.Second)
	calls := 0
	path := `C:\Users\a\.claude\mcp-needs-auth-cache.json`
	err := r.do("replace", path, func() error { calls++; return &fs.PathError{Op: "rename", Path: path, Err: errHeld} })
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("err = %v (%T), want *BusyError", err, err)
	}
	if !errors.Is(err, errHeld) {
		t.Errorf("the OS error is not wrapped: %v", err)
	}
	var total time.Duration
	for _, d := range *slept {
		total += d
	}
	if total != 2*time.Second {
		t.Errorf("slept %v in all, want exactly the 2s budget (never past it)", total)
	}
	if busy.Tries != calls || calls < 5 {
		t.Errorf("tries %d, calls %d: want them equal and several", busy.Tries, calls)
	}
	msg := err.Error()
	for _, want := range []string{path, "another program has the file open", "antivirus", "sync client", "editor", "Claude Code", "replace"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
}

func TestRetryReturnsOtherErrorsAtOnce(t *testing.T) {
	r, slept := fakeRetrier(2 * time.Second)
	calls := 0
	err := r.do("delete", "/x", func() error { calls++; return fs.ErrNotExist })
	if !errors.Is(err, fs.ErrNotExist) || calls != 1 || len(*slept) != 0 {
		t.Fatalf("err %v after %d calls and sleeps %v; want ErrNotExist at once", err, calls, *slept)
	}
	var busy *BusyError
	if errors.As(err, &busy) {
		t.Errorf("a non-transient error became a BusyError: %v", err)
	}
}

func TestRetryZeroBudgetTriesOnce(t *testing.T) {
	r, _ := fakeRetrier(0)
	calls := 0
	err := r.do("replace", "/x", func() error { calls++; return errHeld })
	var busy *BusyError
	if !errors.As(err, &busy) || calls != 1 {
		t.Fatalf("err %v after %d calls, want BusyError after 1", err, calls)
	}
}

// The classifier of this OS: Windows' three sharing errors are transient
// there and nowhere else; an errno from another family never is.
func TestSharingConflictClassifier(t *testing.T) {
	windowsCodes := []syscall.Errno{5, 32, 33} // ACCESS_DENIED, SHARING_VIOLATION, LOCK_VIOLATION
	for _, code := range windowsCodes {
		err := &fs.PathError{Op: "rename", Path: "f", Err: code}
		if got := isSharingConflict(err); got != isWindows {
			t.Errorf("errno %d: transient=%v on this OS, want %v", code, got, isWindows)
		}
	}
	if isSharingConflict(fs.ErrNotExist) || isSharingConflict(errors.New("plain")) {
		t.Error("a non-errno error was classified transient")
	}
}
