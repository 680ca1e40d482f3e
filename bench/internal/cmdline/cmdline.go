// Package cmdline splits the command lines the bench commands time side by
// side: `A ARGS ::: B ARGS ::: …` (coldstart, pairtime).
package cmdline

// Split cuts args at each ":::" into the commands between them, in order.
// An empty command (":::" first, last or doubled) stays in the result as an
// empty slice, so that the caller can name it in its usage error.
func Split(args []string) [][]string {
	var cmds [][]string
	cur := []string{}
	for _, a := range args {
		if a == ":::" {
			cmds, cur = append(cmds, cur), []string{}
			continue
		}
		cur = append(cur, a)
	}
	return append(cmds, cur)
}
