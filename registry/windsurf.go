package registry

// discoverWindsurf is a placeholder until this client's reader lands.
func discoverWindsurf(env Env) ([]Server, []Problem) { return nil, nil }
