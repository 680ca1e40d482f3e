package registry

// discoverClaudeCode is a placeholder until this client's reader lands.
func discoverClaudeCode(env Env) ([]Server, []Problem) { return nil, nil }
