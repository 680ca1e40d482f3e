package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// global holds the flags every command accepts, before or after its name.
type global struct {
	json     bool
	home     string
	logLevel string
	help     bool
}

// parseGlobal pulls the global flags out of args wherever they stand and
// returns the command name and what is left for the command.
func parseGlobal(args []string) (g global, cmd string, rest []string, err error) {
	g.logLevel = "warn"
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		isFlag := strings.HasPrefix(a, "-") && a != "-" && a != "--"
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if !isFlag {
			if cmd == "" {
				cmd = a
			} else {
				rest = append(rest, a)
			}
			continue
		}
		takeVal := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		switch name {
		case "json":
			g.json = !hasVal || val == "true"
		case "h", "help":
			g.help = true
		case "home":
			if g.home, err = takeVal(); err != nil {
				return g, "", nil, err
			}
		case "log-level":
			if g.logLevel, err = takeVal(); err != nil {
				return g, "", nil, err
			}
			if _, err := parseLevel(g.logLevel); err != nil {
				return g, "", nil, err
			}
		default:
			rest = append(rest, a)
		}
	}
	return g, cmd, rest, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// newFlagSet returns a FlagSet for a command's own flags that reports errors
// instead of exiting.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mcpmend "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// parseInterspersed parses fs allowing positional args before flags
// ("probe NAME --timeout 5s").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseOne parses fs for a command that takes exactly one positional
// argument (a server name, a reset id) and returns it; otherwise the error
// is "give exactly one " + what, so what carries the command's usage.
func parseOne(fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", errors.New("give exactly one " + what)
	}
	return pos[0], nil
}
