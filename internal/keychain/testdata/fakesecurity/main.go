// Command fakesecurity stands in for macOS security(1) in tests on any OS. It
// keeps generic passwords in the JSON file named by $FAKE_SECURITY_STORE and
// behaves like the real program for what Claude Code and mcpmend use:
//
//	find-generic-password [-a ACCOUNT] [-s SERVICE] [-w]
//	add-generic-password -a ACCOUNT -s SERVICE [-w PASSWORD | -X HEX] [-U]
//	delete-generic-password [-a ACCOUNT] [-s SERVICE]
//	-i   (commands read from stdin, one a line, double-quoted arguments)
//
// Exit status 44 and security's message for a missing item, 45 for adding an
// existing item without -U; -w prints the data, or its hex when it is not
// printable ASCII. Every invocation's argv is appended to $FAKE_SECURITY_LOG
// when set, so tests can check what went on the command line.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

const (
	notFound = 44
	exists   = 45
)

type store map[string]string // "service\x00account" → hex data

func load() store {
	s := store{}
	data, err := os.ReadFile(os.Getenv("FAKE_SECURITY_STORE"))
	if err == nil && len(data) > 0 {
		if err := json.Unmarshal(data, &s); err != nil {
			fmt.Fprintln(os.Stderr, "fakesecurity: store:", err)
			os.Exit(1)
		}
	}
	return s
}

func (s store) save() {
	data, _ := json.Marshal(s)
	if err := os.WriteFile(os.Getenv("FAKE_SECURITY_STORE"), data, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "fakesecurity: store:", err)
		os.Exit(1)
	}
}

func main() {
	if p := os.Getenv("FAKE_SECURITY_LOG"); p != "" {
		if f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(f, strings.Join(os.Args[1:], " "))
			f.Close()
		}
	}
	if len(os.Args) > 1 && os.Args[1] == "-i" {
		os.Exit(interactive(os.Stdin))
	}
	os.Exit(command(os.Args[1:]))
}

func interactive(r io.Reader) int {
	code := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		args, err := split(sc.Text())
		if err != nil {
			fmt.Fprintln(os.Stderr, "security:", err)
			code = 1
			continue
		}
		if len(args) == 0 {
			continue
		}
		if c := command(args); c != 0 {
			code = c
		}
	}
	return code
}

// split parses a line as security -i does: words, double quotes, backslash escapes.
func split(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			have = true
		case c == '"':
			in, have = !in, true
		case (c == ' ' || c == '\t') && !in:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if in {
		return nil, fmt.Errorf("unterminated quote")
	}
	if have {
		out = append(out, cur.String())
	}
	return out, nil
}

type opts struct {
	account, service, password, hexData   string
	hasAccount, hasService, print, update bool
	hasPassword                           bool
}

func parse(args []string) (opts, error) {
	var o opts
	for i := 0; i < len(args); i++ {
		val := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option %s requires an argument", args[i])
			}
			i++
			return args[i], nil
		}
		var err error
		switch args[i] {
		case "-a":
			o.account, err = val()
			o.hasAccount = true
		case "-s":
			o.service, err = val()
			o.hasService = true
		case "-w":
			// find: print the password; add: the next word is the password
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				o.password, err = val()
				o.hasPassword = true
			} else {
				o.print = true
			}
		case "-X":
			o.hexData, err = val()
			o.hasPassword = true
		case "-U":
			o.update = true
		case "-g":
		default:
			return o, fmt.Errorf("unknown option %q", args[i])
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func (s store) match(o opts) (string, bool) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		svc, acct, _ := strings.Cut(k, "\x00")
		if (!o.hasService || svc == o.service) && (!o.hasAccount || acct == o.account) {
			return k, true
		}
	}
	return "", false
}

func command(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: security command [options]")
		return 1
	}
	o, err := parse(args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 2
	}
	s := load()
	switch args[0] {
	case "find-generic-password":
		k, ok := s.match(o)
		if !ok {
			fmt.Fprintln(os.Stderr, "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.")
			return notFound
		}
		data, _ := hex.DecodeString(s[k])
		if !o.print {
			svc, acct, _ := strings.Cut(k, "\x00")
			fmt.Printf("keychain: \"/Users/test/Library/Keychains/login.keychain-db\"\nclass: \"genp\"\nattributes:\n    \"acct\"<blob>=%q\n    \"svce\"<blob>=%q\n", acct, svc)
			return 0
		}
		if printable(data) {
			fmt.Printf("%s\n", data)
		} else {
			fmt.Printf("%x\n", data)
		}
		return 0
	case "add-generic-password":
		if !o.hasAccount || !o.hasService {
			fmt.Fprintln(os.Stderr, "security: add-generic-password needs -a and -s here")
			return 2
		}
		k := o.service + "\x00" + o.account
		if _, ok := s[k]; ok && !o.update {
			fmt.Fprintln(os.Stderr, "security: SecKeychainItemCreateFromContent (<default>): The specified item already exists in the keychain.")
			return exists
		}
		data := []byte(o.password)
		if o.hexData != "" {
			if data, err = hex.DecodeString(o.hexData); err != nil {
				fmt.Fprintln(os.Stderr, "security: -X: invalid hex")
				return 2
			}
		}
		s[k] = hex.EncodeToString(data)
		s.save()
		return 0
	case "delete-generic-password":
		k, ok := s.match(o)
		if !ok {
			fmt.Fprintln(os.Stderr, "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.")
			return notFound
		}
		delete(s, k)
		s.save()
		fmt.Println("password has been deleted.")
		return 0
	}
	fmt.Fprintf(os.Stderr, "security: unknown command %q\n", args[0])
	return 1
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
