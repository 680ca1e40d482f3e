package registry

// discoverGemini is a placeholder until this client's reader lands.
func discoverGemini(env Env) ([]Server, []Problem) { return nil, nil }
