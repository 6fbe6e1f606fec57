package collector

import "github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"

// Client returns the CodeArts Check client of the configuration in force,
// the one scrapes use. Task discovery lists tasks through it, so that its
// calls share the scrapes' credentials (one IAM token, one back-off), HTTP
// client and API budget, and are counted with them.
func (c *Collector) Client() (*codearts.Client, error) {
	s, err := c.currentSession()
	if err != nil {
		return nil, err
	}
	return s.client, nil
}
