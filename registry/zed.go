package registry

// discoverZed is a placeholder until this client's reader lands.
func discoverZed(env Env) ([]Server, []Problem) { return nil, nil }
