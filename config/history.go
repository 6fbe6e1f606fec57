package config

// History is the history section: whether the collector reads each task's
// check history (CheckRecord), so that checks that started and ended
// between two scrapes are counted too. Off, only the checks that progress
// answers reveal are counted.
type History struct {
	// Enabled is on unless the file says enabled: false; Validate sets it.
	Enabled *bool `yaml:"enabled,omitempty"`
}

// On reports whether the check history is read. A History that was not
// validated is on, as the default is.
func (h *History) On() bool { return h.Enabled == nil || *h.Enabled }

func (h *History) validate() error {
	if h.Enabled == nil {
		on := true
		h.Enabled = &on
	}
	return nil
}
