package tunnel

// SetAccept turns the acceptance of new transit tunnels off (false) or
// back on while the router runs, for a graceful shutdown: the tunnels
// carried now run on until they expire. Under `notransit` (Accept false
// in the config) nothing is accepted either way.
func (t *Transit) SetAccept(on bool) {
	t.mu.Lock()
	t.closing = !on
	t.mu.Unlock()
}
