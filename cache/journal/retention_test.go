package journal_test

import (
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/journal"
)

// TestParseRetentionRefusesWhatIsNoAge: a number of days that is not a
// finite age a time.Duration holds (NaN, Inf, 1e300, or so small it rounds
// to nothing) was read as 0, which means "never" — MCPMEND_FORGET_TOKENS_WINDOW=NaNd
// kept removed tokens for good without a word. It must be an error.
func TestParseRetentionRefusesWhatIsNoAge(t *testing.T) {
	for _, s := range []string{"NaNd", "Infd", "+Infd", "1e300d", "1e-15d", "200000d", "0x10d"} {
		if d, err := journal.ParseRetention(s); err == nil {
			t.Errorf("ParseRetention(%q) = %v, want an error", s, d)
		}
	}
	for s, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "1.5d": 36 * time.Hour, "72h": 72 * time.Hour, "never": 0, "100000d": 100000 * 24 * time.Hour} {
		if d, err := journal.ParseRetention(s); err != nil || d != want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
}
