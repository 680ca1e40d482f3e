package jsonedit

import "testing"

const entry = `{"command":"/usr/local/bin/mcpmend","args":["serve"]}`

func TestSetMemberKeepsEverythingElse(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty file object", "{}", "{\n  \"mcpServers\": {\n    \"mcpmend\": {\n      \"command\": \"/usr/local/bin/mcpmend\",\n      \"args\": [\n        \"serve\"\n      ]\n    }\n  }\n}"},
		{"no container", "{\n\t\"theme\": \"dark\" // mine\n}\n",
			"{\n\t\"theme\": \"dark\", // mine\n\t\"mcpServers\": {\n\t\t\"mcpmend\": {\n\t\t\t\"command\": \"/usr/local/bin/mcpmend\",\n\t\t\t\"args\": [\n\t\t\t\t\"serve\"\n\t\t\t]\n\t\t}\n\t}\n}\n"},
		{"append with comments and trailing comma",
			"// top\n{\n  \"mcpServers\": {\n    /* a */ \"a\": {\"command\": \"x\"}, // after a\n  },\n}\n",
			"// top\n{\n  \"mcpServers\": {\n    /* a */ \"a\": {\"command\": \"x\"}, // after a\n    \"mcpmend\": {\n      \"command\": \"/usr/local/bin/mcpmend\",\n      \"args\": [\n        \"serve\"\n      ]\n    },\n  },\n}\n"},
		{"empty container", "{\n  \"mcpServers\": {}\n}", "{\n  \"mcpServers\": {\n    \"mcpmend\": {\n      \"command\": \"/usr/local/bin/mcpmend\",\n      \"args\": [\n        \"serve\"\n      ]\n    }\n  }\n}"},
		{"replace in place", "{\"mcpServers\": {\"mcpmend\": {\"command\": \"old\"}, \"b\": 1}}",
			"{\"mcpServers\": {\"mcpmend\": {\n  \"command\": \"/usr/local/bin/mcpmend\",\n  \"args\": [\n    \"serve\"\n  ]\n}, \"b\": 1}}"},
		{"one-line object", "{\"mcpServers\": {\"a\": 1}}", "{\"mcpServers\": {\"a\": 1, \"mcpmend\": {\"command\":\"/usr/local/bin/mcpmend\",\"args\":[\"serve\"]}}}"},
		{"crlf", "{\r\n  \"mcpServers\": {\r\n    \"a\": 1\r\n  }\r\n}\r\n",
			"{\r\n  \"mcpServers\": {\r\n    \"a\": 1,\r\n    \"mcpmend\": {\r\n      \"command\": \"/usr/local/bin/mcpmend\",\r\n      \"args\": [\r\n        \"serve\"\r\n      ]\r\n    }\r\n  }\r\n}\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := SetMember([]byte(c.in), "mcpServers", "mcpmend", []byte(entry))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got\n%s\nwant\n%s", out, c.want)
			}
		})
	}
}

func TestDeleteMemberUndoesSet(t *testing.T) {
	docs := []string{
		"{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"} // after a\n  }\n}\n",
		"// top\n{\n  \"mcpServers\": {\n    /* a */ \"a\": {\"command\": \"x\"}, // after a\n  },\n}\n",
		"{\n  \"theme\": 1,\n  \"mcpServers\": {\n    \"a\": 1,\n    \"b\": 2\n  },\n  \"z\": [1, 2]\n}",
		"{\"mcpServers\": {\"a\": 1}}",
		"\xef\xbb\xbf{\n  \"mcpServers\": {}\n}\n",
		"{\r\n  \"mcpServers\": {\r\n    \"a\": 1\r\n  }\r\n}\r\n",
	}
	for _, d := range docs {
		set, err := SetMember([]byte(d), "mcpServers", "mcpmend", []byte(entry))
		if err != nil {
			t.Fatal(err)
		}
		back, err := DeleteMember(set, "mcpServers", "mcpmend")
		if err != nil {
			t.Fatalf("%q: %v", set, err)
		}
		if string(back) != d {
			t.Errorf("set then delete:\n%q\nwant\n%q\n(set was %q)", back, d, set)
		}
	}
}

func TestDeleteMemberPositions(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"first of two", "{\n  \"s\": {\n    \"mcpmend\": 1, // ours\n    \"b\": 2\n  }\n}", "{\n  \"s\": {\n    \"b\": 2\n  }\n}"},
		{"only member", "{\n  \"s\": {\n    \"mcpmend\": 1\n  }\n}", "{\n  \"s\": {}\n}"},
		{"middle", "{\"s\": {\"a\": 1, \"mcpmend\": 2, \"b\": 3}}", "{\"s\": {\"a\": 1, \"b\": 3}}"},
		// Whether the comma before it was the file's trailing comma cannot be
		// told: the document stays valid and only the member goes.
		{"after a trailing comma", "{\n  \"s\": {\n    \"a\": 1, // a\n    \"mcpmend\": 2\n  },\n}", "{\n  \"s\": {\n    \"a\": 1 // a\n  },\n}"},
		{"last with its own trailing comma", "{\n  \"s\": {\n    \"a\": 1,\n    \"mcpmend\": 2,\n  }\n}", "{\n  \"s\": {\n    \"a\": 1,\n  }\n}"},
		{"absent", "{\"s\": {\"a\": 1}}", "{\"s\": {\"a\": 1}}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := DeleteMember([]byte(c.in), "s", "mcpmend")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got\n%q\nwant\n%q", out, c.want)
			}
		})
	}
}

func TestSetMemberRefusals(t *testing.T) {
	for _, in := range []string{`[]`, `{"mcpServers": []}`, `{"mcpServers": "x"}`, `{"a": `, `{"a": 1} // ok` + "\n/* open"} {
		if out, err := SetMember([]byte(in), "mcpServers", "mcpmend", []byte(entry)); err == nil {
			t.Errorf("%q: want an error, got %q", in, out)
		}
	}
}
