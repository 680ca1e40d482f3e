package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// newCompletionCmd prints a shell's completion script. The scripts are
// cobra's: they ask `mcpmend __complete …` for candidates, so commands,
// flags, --client values and configured server names complete.
func newCompletionCmd(*app) *cobra.Command {
	shells := []string{"bash", "zsh", "fish", "powershell"}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "print the shell completion script",
		Long: `Print the completion script for a shell: commands, flags, --client values and the configured
server names then complete on TAB.`,
		Example: `  source <(mcpmend completion bash)                     # bash, this shell
  mcpmend completion zsh > "${fpath[1]}/_mcpmend"        # zsh
  mcpmend completion fish > ~/.config/fish/completions/mcpmend.fish
  mcpmend completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: shells,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(shells, args[0]) {
				return usagef("give one shell: %s", strings.Join(shells, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}

// newHelpCmd is `mcpmend help [COMMAND]`; an unknown topic is a usage error
// with a suggestion, as an unknown command is.
func newHelpCmd(*app) *cobra.Command {
	return &cobra.Command{
		Use:     "help [COMMAND]",
		Short:   "help about any command",
		Long:    "Show a command's help: what it does, its flags with their defaults, and examples.",
		Example: "  mcpmend help checkup",
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []string
			for _, sub := range c.Root().Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 && len(args) > 0 {
				name := strings.Join(args, " ")
				msg := fmt.Sprintf("no help topic %q", name)
				if s := root.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf("; did you mean %q?", s[0])
				}
				return usageError{msg}
			}
			return target.Help()
		},
	}
}
