package registry

// discoverCodex is a placeholder until this client's reader lands.
func discoverCodex(env Env) ([]Server, []Problem) { return nil, nil }
