package tools

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mcpmend/mcpmend/registry"
)

// findServer resolves a name, optionally narrowed by client and scope, to
// the one configured server a tool works on. Among several definitions of a
// client's server the effective one wins (it is what the client uses); a
// name several clients share must be narrowed with client. An unknown name
// is an error that suggests close matches.
func findServer(inv *registry.Inventory, name, client, scope string) (registry.Server, error) {
	if name == "" {
		return registry.Server{}, fmt.Errorf("name is required: give a server name as configured (diagnose with no name shows every configured server)")
	}
	if client != "" && !validClient(client) {
		return registry.Server{}, fmt.Errorf("unknown client %q: use one of %s", client, strings.Join(registry.Clients(), ", "))
	}
	var hits []registry.Server
	for _, s := range inv.Servers {
		if s.Name == name && (client == "" || s.Client == client) && (scope == "" || s.Scope == scope) {
			hits = append(hits, s)
		}
	}
	switch {
	case len(hits) == 0:
		return registry.Server{}, unknownServer(inv, name, client, scope)
	case len(hits) == 1:
		return hits[0], nil
	}
	clients := map[string]bool{}
	var effective []registry.Server
	for _, s := range hits {
		clients[s.Client] = true
		if s.Effective {
			effective = append(effective, s)
		}
	}
	if len(clients) == 1 && len(effective) == 1 {
		return effective[0], nil
	}
	var ids []string
	for _, s := range hits {
		id := s.ID()
		if s.Project != "" {
			id += " (" + s.Project + ")"
		}
		ids = append(ids, id)
	}
	what := "client"
	if len(clients) == 1 {
		what = "scope"
	}
	return registry.Server{}, fmt.Errorf("server %q is configured %d times (%s): pass %s to choose", name, len(hits), strings.Join(ids, ", "), what)
}

// unknownServer explains a name that matched nothing, with close matches.
func unknownServer(inv *registry.Inventory, name, client, scope string) error {
	seen := map[string]bool{}
	var close []string
	for _, s := range inv.Servers {
		if seen[s.Name] {
			continue
		}
		if s.Name == name || strings.EqualFold(s.Name, name) || strings.Contains(strings.ToLower(s.Name), strings.ToLower(name)) ||
			strings.Contains(strings.ToLower(name), strings.ToLower(s.Name)) || editDistance(strings.ToLower(s.Name), strings.ToLower(name)) <= 2 {
			seen[s.Name] = true
			close = append(close, s.Name)
		}
	}
	sort.Strings(close)
	where := ""
	if client != "" || scope != "" {
		where = " for " + strings.Trim(client+" "+scope, " ")
	}
	msg := fmt.Sprintf("no server named %q is configured%s", name, where)
	if len(close) > 0 {
		msg += "; did you mean " + strings.Join(close, ", ") + "? (names are case-sensitive)"
	} else {
		msg += "; diagnose with no name shows every configured server"
	}
	return fmt.Errorf("%s", msg)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// findServerNote is findServer for tools that can act on one definition
// without asking first (probe_server only reads): when name is defined in
// several places and client and scope do not narrow it down, it picks the
// effective definition — of the first client in list_servers order when
// several clients share the name — and note says which it picked and what
// else exists. Errors are findServer's (an unknown name lists close
// matches).
func findServerNote(inv *registry.Inventory, name, client, scope string) (registry.Server, string, error) {
	s, err := findServer(inv, name, client, scope)
	if err == nil {
		var others []string
		for _, o := range inv.Servers {
			if o.Name == name && (o.ID() != s.ID() || o.File != s.File) {
				others = append(others, definitionText(o))
			}
		}
		if len(others) == 0 {
			return s, "", nil
		}
		return s, fmt.Sprintf("%q is defined %d times; using %s, the one the client uses (also: %s)", name, len(others)+1, definitionText(s), strings.Join(others, "; ")), nil
	}
	var hits []registry.Server // inv order: client, then effective first
	for _, o := range inv.Servers {
		if o.Name == name && (client == "" || o.Client == client) && (scope == "" || o.Scope == scope) {
			hits = append(hits, o)
		}
	}
	if len(hits) == 0 {
		return registry.Server{}, "", err
	}
	pick := hits[0]
	for _, o := range hits {
		if o.Effective {
			pick = o
			break
		}
	}
	var others []string
	for _, o := range hits {
		if o.ID() != pick.ID() || o.File != pick.File {
			others = append(others, definitionText(o))
		}
	}
	return pick, fmt.Sprintf("%q is defined %d times; using %s (also: %s) — pass client and scope to choose another",
		name, len(hits), definitionText(pick), strings.Join(others, "; ")), nil
}

// definitionText names one definition for a note: "client/scope/name in
// FILE", with "(not used)" when the client uses another definition.
func definitionText(s registry.Server) string {
	t := s.ID() + " in " + s.File
	if !s.Effective {
		t += " (not used)"
	}
	return t
}
