package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
)

// commandTable is every mcpmend command, in the order help lists them.
// Adding a command is one entry here plus its constructor; usage, per-command
// help, suggestions and shell completion all come from this table (cobra
// builds them from each command's Use, Short, Example and flags).
//
// Why cobra rather than the flag package: gh and kubectl use it, so mcpmend's
// help, `--flag` syntax, "did you mean" suggestions and the completion
// scripts for bash, zsh, fish and PowerShell behave as users of those tools
// expect, and the completion scripts — the part most costly to write and keep
// right by hand, four shells' worth — are maintained upstream. It brings only
// pflag (and mousetrap on Windows) along.
var commandTable = []func(*app) *cobra.Command{
	newCheckupCmd,
	newDiagnoseCmd,
	newListCmd,
	newProbeCmd,
	newStateCmd,
	newResetCmd,
	newStatusCmd,
	newUndoCmd,
	newPruneCmd,
	newInstallCmd,
	newUninstallCmd,
	newServeCmd,
	newApplyPendingCmd,
	newVersionCmd,
	newCompletionCmd,
}

// usageError is a mistake in how mcpmend was called: exit 2, one message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// newRoot builds the command tree for one run.
func newRoot(a *app) *cobra.Command {
	b := currentBuild()
	root := &cobra.Command{
		Use:   "mcpmend",
		Short: "diagnose and heal the MCP servers on this machine",
		Long: `mcpmend diagnoses and heals the MCP servers configured for Claude Code, Claude Desktop,
Cursor, VS Code, Windsurf, Codex, Gemini CLI and Zed. Start with ` + "`mcpmend checkup`" + `;
` + "`mcpmend serve`" + ` runs the same tools as an MCP server for a client's model.`,
		Example: `  mcpmend checkup
  mcpmend diagnose github
  mcpmend reset github --dry-run`,
		Version:           b.Version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		PersistentPreRunE: a.start,
	}
	cobra.EnableCommandSorting = false // help lists the table's order
	root.SetVersionTemplate(b.String() + "\n")
	root.Flags().Bool("version", false, "print mcpmend's version and build")
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.BoolVar(&a.g.json, "json", false, "print machine-readable JSON")
	pf.StringVar(&a.g.home, "home", "", "treat `DIR` as the user's home for every client path")
	pf.StringVar(&a.g.logLevel, "log-level", "warn", "log `LEVEL`: debug, info, warn or error (logs go to stderr)")
	_ = root.RegisterFlagCompletionFunc("log-level", fixedCompletion("debug", "info", "warn", "error"))
	_ = root.MarkPersistentFlagDirname("home")
	for _, mk := range commandTable {
		root.AddCommand(mk(a))
	}
	root.SetHelpCommand(newHelpCmd(a))
	root.CompletionOptions.DisableDefaultCmd = true // ours is in the table
	return root
}

// start runs before every command: it checks the global flags, builds the
// tools' dependencies, and finishes what earlier runs left in the journal.
func (a *app) start(cmd *cobra.Command, args []string) error {
	if isCompletion(cmd) {
		return nil // __complete parses no flags itself: --home is read when the candidates are
	}
	if _, err := parseLevel(a.g.logLevel); err != nil {
		return usageError{err.Error()}
	}
	a.init()
	a.prepareHeap(cmd.Name())
	name := cmd.Name()
	if dry, err := cmd.Flags().GetBool("dry-run"); err == nil && dry {
		name += " --dry-run" // only lists: read-only, so it neither replays nor prunes
	}
	resumeAtStart(cmd.Context(), a, name, args)
	return nil
}

func isCompletion(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Name() == "completion" || c.Name() == cobra.ShellCompRequestCmd || c.Name() == cobra.ShellCompNoDescRequestCmd {
			return true
		}
	}
	return false
}

// execute runs args through the command tree and returns the exit code.
func execute(ctx context.Context, a *app, args []string) int {
	root := newRoot(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if a.restoreHeap != nil {
		a.restoreHeap()
	}
	if err == nil {
		return 0
	}
	if code, ok := signalExit(ctx); ok {
		fmt.Fprintf(a.stderr, "mcpmend: %v\n", context.Cause(ctx))
		return code
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if msg, ok := usageMessage(root, cmd, args, err); ok {
		fmt.Fprintf(a.stderr, "mcpmend: %s\n", inert.Text(msg))
		return 2
	}
	// Inert: an error can quote a server name or a file's text.
	fmt.Fprintf(a.stderr, "mcpmend %s: %s\n", cmd.Name(), inert.Text(humanize(err)))
	return 1
}

// usageMessage is the one message for a usage error (unknown command, bad
// flag, wrong arguments), with a suggestion and where help is.
func usageMessage(root, cmd *cobra.Command, args []string, err error) (string, bool) {
	var ue usageError
	switch {
	case errors.As(err, &ue):
	case strings.HasPrefix(err.Error(), "unknown command "):
		name := firstWord(cmd, args)
		msg := fmt.Sprintf("unknown command %q", name)
		if s := root.SuggestionsFor(name); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		return msg + "\nRun 'mcpmend --help' for the commands.", true
	default:
		return "", false
	}
	help := "mcpmend --help"
	if cmd != root {
		help = cmd.CommandPath() + " --help"
	}
	return ue.msg + "\nRun '" + help + "' for usage.", true
}

// firstWord is the first argument that is not a flag (or a flag's value):
// the command name the user typed.
func firstWord(root *cobra.Command, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a
		}
		if f := root.PersistentFlags().Lookup(strings.TrimLeft(a, "-")); f != nil && f.NoOptDefVal == "" && !strings.Contains(a, "=") {
			i++ // the flag's value
		}
	}
	return ""
}

// flagError turns pflag's errors into usage errors that name the expected
// form: `--timeout wants a duration such as 15s` rather than strconv's words,
// and an unknown flag with the closest one the command has.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		if s := closestFlag(cmd, strings.TrimLeft(name, "-")); s != "" {
			return usagef("unknown flag %s for %s; did you mean --%s?", name, cmd.CommandPath(), s)
		}
		return usagef("unknown flag %s for %s", name, cmd.CommandPath())
	}
	if name, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		return usagef("unknown flag %s for %s", name, cmd.CommandPath())
	}
	var inv *pflag.InvalidValueError
	if errors.As(err, &inv) {
		f := inv.GetFlag()
		if f.Value.Type() == "client" {
			return usagef("--client: unknown client %q; want one of %s", inv.GetValue(), strings.Join(registry.Clients(), ", "))
		}
		return usagef("--%s %q: %s", f.Name, inv.GetValue(), expectedForm(f))
	}
	var vr *pflag.ValueRequiredError
	if errors.As(err, &vr) {
		if f := cmd.Flags().Lookup(strings.TrimLeft(vr.GetSpecifiedName(), "-")); f != nil {
			return usagef("--%s needs a value: %s", f.Name, expectedForm(f))
		}
	}
	return usageError{msg}
}

// expectedForm says what a flag's value looks like, with an example.
func expectedForm(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "duration":
		return fmt.Sprintf("want a duration such as --%s 15s (units: ms, s, m, h)", f.Name)
	case "bool":
		return fmt.Sprintf("want true or false (--%s alone means true)", f.Name)
	case "int":
		return fmt.Sprintf("want a whole number such as --%s 3", f.Name)
	case "client":
		return "want one of " + strings.Join(registry.Clients(), ", ")
	}
	return fmt.Sprintf("want --%s VALUE", f.Name)
}

// closestFlag is the command's flag nearest to name, if any is near.
func closestFlag(cmd *cobra.Command, name string) string {
	best, bestD := "", 3
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if d := editDistance(name, f.Name); d < bestD || strings.HasPrefix(f.Name, name) && bestD > 1 {
			best, bestD = f.Name, min(d, 1)
		}
	})
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Argument validators that report usage errors naming the command's form.

// exactlyOne accepts one positional argument; what names it in the error.
func exactlyOne(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError{"give exactly one " + what}
		}
		return nil
	}
}

// atMostOne accepts zero or one positional argument.
func atMostOne(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 1 {
			return usageError{"give at most one " + what}
		}
		return nil
	}
}

// noArgs accepts none; hint says what to run instead.
func noArgs(hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("%s takes no arguments (got %q)%s", cmd.Name(), args, hint)
		}
		return nil
	}
}

// Shell completion of flag values.

func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// addClientFlag adds --client, checked against the client names (a typo is
// a usage error naming them) and completed from them.
func addClientFlag(cmd *cobra.Command, p *string, usage string) {
	cmd.Flags().Var((*clientValue)(p), "client", usage+"; `CLIENT` is one of "+strings.Join(registry.Clients(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("client", fixedCompletion(registry.Clients()...))
}

// clientValue is a --client value: one of registry.Clients().
type clientValue string

func (c *clientValue) String() string { return string(*c) }
func (c *clientValue) Type() string   { return "client" }

func (c *clientValue) Set(v string) error {
	if !slices.Contains(registry.Clients(), v) {
		return fmt.Errorf("unknown client %q", v)
	}
	*c = clientValue(v)
	return nil
}

// addScopeFlag adds --scope with completion of the scope names.
func addScopeFlag(cmd *cobra.Command, p *string, usage string) {
	cmd.Flags().StringVar(p, "scope", "", usage+" (`SCOPE`: user, local, project, …)")
	_ = cmd.RegisterFlagCompletionFunc("scope", fixedCompletion("user", "local", "project", "workspace", "global", "enterprise", "managed"))
}

// serverNames completes a server name argument from the configured servers.
func (a *app) serverNames(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	a.init()
	seen := map[string]bool{}
	var names []string
	for _, s := range registry.Discover(a.deps.Env).Servers {
		if !seen[s.Name] {
			seen[s.Name] = true
			names = append(names, s.Name+"\t"+s.Client)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// toolWords are the tool names an error from the tools may mention (they
// are written for the model: "list_servers shows every configured server");
// a person is shown the command instead.
var toolWords = strings.NewReplacer(
	"diagnose with no name", "`mcpmend list`",
	"list_servers", "`mcpmend list`",
	"reset_status", "`mcpmend status`",
	"undo_reset", "`mcpmend undo`",
	"reset_server_auth", "`mcpmend reset`",
	"diagnose_server", "`mcpmend diagnose`",
	"probe_server", "`mcpmend probe`",
	"server_state", "`mcpmend state`",
)

// humanize rewrites the tool names in a tools error into commands.
func humanize(err error) string { return toolWords.Replace(err.Error()) }
