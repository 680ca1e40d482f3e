package mutation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFileDeleteRacesLoseNoSignIn: mcp-remote writes its files with no lock
// (fs.writeFile). A writer writes a new sign-in at a random moment while a
// reset deletes the planned file, and again while an undo puts it back. In
// every round the newest write is what the path holds afterwards: apply
// never deletes a file it did not look at, and restore never overwrites.
func TestFileDeleteRacesLoseNoSignIn(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "0123456789abcdef0123456789abcdef_client_info.json")
	planned := []byte(`{"client_id":"planned"}`)
	var lostApply, lostRestore int
	for r := 0; r < rounds; r++ {
		backup := t.TempDir()
		if err := os.WriteFile(path, planned, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := PlanFileDelete("mcp-remote", []FileTarget{{Path: path}})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Backup(context.Background(), backup); err != nil {
			t.Fatal(err)
		}
		// Apply against a writer.
		fresh := []byte(fmt.Sprintf(`{"client_id":"new-%d"}`, r))
		done := raceWrite(path, fresh, r)
		_ = m.Apply(context.Background(), backup)
		<-done
		if got, _ := os.ReadFile(path); string(got) != string(fresh) {
			lostApply++
		}
		// Restore against a writer: the file is gone, the undo puts the
		// planned content back while a new sign-in is written.
		os.Remove(path)
		newer := []byte(fmt.Sprintf(`{"client_id":"newer-%d"}`, r))
		done = raceWrite(path, newer, r+1)
		_ = m.Restore(context.Background(), backup)
		<-done
		if got, _ := os.ReadFile(path); string(got) != string(newer) {
			lostRestore++
		}
	}
	if lostApply+lostRestore > 0 {
		t.Errorf("in %d rounds: %d sign-ins lost to apply, %d to restore", rounds, lostApply, lostRestore)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temp or quarantine files left: %v", leftovers)
	}
}

// raceWrite writes data to path as Node's fs.writeFile does (open with
// O_TRUNC, write, close) after a delay that varies by round, so the write
// lands before, inside or after the operation it races.
func raceWrite(path string, data []byte, r int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(time.Duration(r%7) * 15 * time.Microsecond)
		os.WriteFile(path, data, 0o600)
	}()
	return done
}
