package needsauth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/testfs"
)

// cacheWriter writes the needs-auth cache as Claude Code does — read the
// file, add an entry, rewrite it in place (open with O_TRUNC, write, close;
// compact JSON; no lock) — every interval, adding w<i> and dropping
// w<i-keep>, as Claude Code drops entries of servers that connect.
type cacheWriter struct {
	path     string
	keep     int
	interval time.Duration
	regate   string // a server the writer gates again when its entry stays missing
	written  atomic.Int64
	lost     atomic.Int64
	errs     []error
}

func (w *cacheWriter) run(stop <-chan struct{}) {
	start := time.Now()
	var missingSince time.Time
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		time.Sleep(time.Until(start.Add(time.Duration(i) * w.interval)))
		b, err := os.ReadFile(w.path)
		var doc map[string]json.RawMessage
		if err == nil {
			err = json.Unmarshal(b, &doc)
		}
		if err != nil {
			w.errs = append(w.errs, fmt.Errorf("the writer read %q: %v", b, err))
			return
		}
		doc["w"+strconv.Itoa(i)] = json.RawMessage(fmt.Sprintf(`{"timestamp":%d}`, time.Now().UnixMilli()))
		if old := "w" + strconv.Itoa(i-w.keep); i >= w.keep {
			if _, ok := doc[old]; !ok {
				w.lost.Add(1) // an entry it never dropped is gone from what it reads
			}
			delete(doc, old)
		}
		if _, ok := doc[w.regate]; ok || w.regate == "" {
			missingSince = time.Time{}
		} else if missingSince.IsZero() {
			missingSince = time.Now()
		} else if time.Since(missingSince) > 200*time.Millisecond {
			// The server answered 401 again: a new entry, stamped now.
			doc[w.regate] = json.RawMessage(fmt.Sprintf(`{"timestamp":%d}`, time.Now().UnixMilli()))
		}
		out, _ := json.Marshal(doc)
		if err := os.WriteFile(w.path, out, 0o600); err != nil {
			w.errs = append(w.errs, err)
			return
		}
		w.written.Store(int64(i + 1))
	}
}

// writeInterval paces the writer at 1,100 writes/s, the rate at which the
// old re-read-then-rename lost one write in about 1,000 (far above what
// Claude Code writes: one entry per server that answers 401).
const writeInterval = time.Second / 1100

// srvEntry is the entry reset and undone in every round.
const srvEntry = `{"timestamp":1700000000000}`

// raceRounds runs round n times (and until the writer made minWrites)
// against a cacheWriter and returns how many of the writer's entries were
// lost — missing when the writer came to drop them, keep writes later (a
// quarter of a second: far longer than any merge hides one), or missing at
// the end — with the writes made and the rounds run.
func raceRounds(t *testing.T, path string, n, minWrites int, round func() (bool, error)) (lost, writes, ran int) {
	t.Helper()
	w := &cacheWriter{path: path, keep: 256, interval: writeInterval, regate: "srv"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { w.run(stop) })
	for tries := 0; (ran < n && tries < 3*n) || int(w.written.Load()) < minWrites; tries++ {
		ok, err := round()
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("round %d: %v", ran, err)
		}
		if ok {
			ran++
		}
	}
	close(stop)
	wg.Wait()
	for _, err := range w.errs {
		t.Error(err)
	}
	final, err := os.ReadFile(path)
	var doc map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(final, &doc)
	}
	if err != nil {
		t.Fatalf("the cache no longer parses: %v", err)
	}
	total := int(w.written.Load())
	lost = int(w.lost.Load())
	for i := max(0, total-w.keep); i < total; i++ {
		if _, ok := doc["w"+strconv.Itoa(i)]; !ok {
			lost++
		}
	}
	return lost, total, ran
}

// TestNeedsAuthResetAndUndoAgainstAWriter: the needs-auth cache has no
// lock. A writer rewrites it in place at 1,100 writes/s while mcpmend
// resets and undoes one server's entry, in four homes at once. Every round
// ends applied, undone, refused (the writer kept overtaking: nothing
// changed) or with the writer's newer entry kept; the cache parses
// throughout (the writer fails on a read that does not) and nothing is
// left beside it. How many of the writer's entries a stale read of its own
// dropped is reported (TestNeedsAuthRaceFigures compares it with the old
// re-read-then-rename).
func TestNeedsAuthResetAndUndoAgainstAWriter(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 100
	}
	const lanes = 4
	for lane := range lanes {
		t.Run("home"+strconv.Itoa(lane), func(t *testing.T) {
			t.Parallel()
			f := resetUndoRace(t, rounds/lanes, 0)
			t.Logf("%d reset/undo rounds (%d undos kept a newer entry, %d attempts refused) against %d in-place writes: %d of the writer's entries lost",
				f.ran, f.conflicts, f.refused, f.writes, f.lost)
		})
	}
}

// raceFigures is what one resetUndoRace saw.
type raceFigures struct{ ran, writes, lost, conflicts, refused int }

// resetUndoRace runs n reset/undo rounds of one server's entry (and until
// the writer made minWrites) against a cacheWriter in a home of its own.
func resetUndoRace(t *testing.T, n, minWrites int) raceFigures {
	home := t.TempDir()
	env := storetest.Env(home)
	path := File(env)
	testfs.WriteFile(t, path, `{"srv":`+srvEntry+`}`)
	srv := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://127.0.0.1:9/mcp"}`)
	backups := t.TempDir()
	ctx := context.Background()
	var f raceFigures
	r := 0
	f.lost, f.writes, f.ran = raceRounds(t, path, n, minWrites, func() (bool, error) {
		r++
		muts, err := Store{}.PlanReset(ctx, env, store.ResetRequest{Server: srv})
		if err != nil || len(muts) == 0 {
			time.Sleep(10 * time.Millisecond) // srv is not gated at the moment; the writer gates it again
			return false, err
		}
		dir := filepath.Join(backups, strconv.Itoa(r))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return false, err
		}
		m := muts[0]
		if err := m.Backup(ctx, dir); err != nil {
			return false, err
		}
		if err := m.Apply(ctx, dir); err != nil {
			if _, busy := err.(*lockedfile.ChangedError); busy {
				f.refused++ // the writer kept overtaking the merge: nothing changed
				return true, nil
			}
			return false, err
		}
		for {
			err = m.Restore(ctx, dir)
			if _, busy := err.(*lockedfile.ChangedError); !busy {
				break
			}
			f.refused++ // as a user would, undo again
		}
		if _, newer := err.(*journal.ConflictError); newer {
			f.conflicts++ // the writer gated srv again meanwhile: its newer entry stays
			return true, nil
		}
		return true, err
	})
	if f.ran < n {
		t.Fatalf("only %d of %d rounds could be planned", f.ran, n)
	}
	if left, _ := filepath.Glob(path + ".*"); len(left) > 0 {
		t.Errorf("left beside the cache: %v", left)
	}
	return f
}

// TestNeedsAuthRaceFigures measures, side by side, how many of the
// writer's entries are lost over 20,000 writes to what mcpmend does now and
// to what it did before (a re-read right before an atomic rename over the
// file). It runs (about a minute) only with MCPMEND_RACE_EVIDENCE=1.
func TestNeedsAuthRaceFigures(t *testing.T) {
	if os.Getenv("MCPMEND_RACE_EVIDENCE") == "" {
		t.Skip("set MCPMEND_RACE_EVIDENCE=1 to measure the old re-read-then-rename against the writer")
	}
	f := resetUndoRace(t, 1, 20000)
	t.Logf("exchange and merge: %d of the writer's entries lost in %d rounds against %d writes", f.lost, f.ran, f.writes)
	path := filepath.Join(t.TempDir(), "mcp-needs-auth-cache.json")
	testfs.WriteFile(t, path, `{"srv":`+srvEntry+`}`)
	edit := func(f func([]byte) ([]byte, error)) error {
		snap, err := lockedfile.Read(path)
		if err != nil || !json.Valid(snap.Data) {
			return err // caught mid-write: the old Apply refused such a read as damaged
		}
		out, err := f(snap.Data)
		if err != nil {
			return err
		}
		err = lockedfile.WriteFile(path, out, lockedfile.WriteOptions{Expect: &snap})
		if _, changed := err.(*lockedfile.ChangedError); changed {
			return nil
		}
		return err
	}
	lost, writes, ran := raceRounds(t, path, 1000, 20000, func() (bool, error) {
		if err := edit(func(b []byte) ([]byte, error) { return jsonedit.Delete(b, jsonedit.Path{"srv"}) }); err != nil {
			return false, err
		}
		return true, edit(func(b []byte) ([]byte, error) {
			return jsonedit.SetRaw(b, jsonedit.Path{"srv"}, []byte(srvEntry))
		})
	})
	t.Logf("re-read then rename: %d of the writer's live entries lost in %d rounds against %d writes", lost, ran, writes)
}
