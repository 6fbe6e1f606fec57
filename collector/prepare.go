package collector

// Prepare builds the API session of the configuration in force now rather
// than at the next scrape, so that what building it reports (TLS
// verification turned off, a token file that cannot be read) is logged at
// startup and right after a reload, where an operator looks for it. A
// scrape would build the same session; Prepare only brings it forward.
func (c *Collector) Prepare() error {
	_, err := c.currentSession()
	return err
}
