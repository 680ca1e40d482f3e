package cmdline

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		args []string
		want [][]string
	}{
		{nil, [][]string{{}}},
		{[]string{"a", "-x"}, [][]string{{"a", "-x"}}},
		{[]string{"a", ":::", "b", "c"}, [][]string{{"a"}, {"b", "c"}}},
		{[]string{":::", "b", ":::"}, [][]string{{}, {"b"}, {}}},
		{[]string{"a", ":::", ":::", "b"}, [][]string{{"a"}, {}, {"b"}}},
	} {
		if got := Split(c.args); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
