package config

import promconfig "github.com/prometheus/common/config"

// setDirectory makes every relative file path of the configuration
// relative to dir, the configuration file's directory, as Prometheus does:
// the same file then means the same files whatever the working directory
// of the process (a service manager's, a shell's, a container's).
// Absolute paths are kept.
func (c *Config) setDirectory(dir string) {
	a := &c.Auth
	a.TokenFile = promconfig.JoinDir(dir, a.TokenFile)
	if a.IAM != nil {
		a.IAM.PasswordFile = promconfig.JoinDir(dir, a.IAM.PasswordFile)
	}
	if k := a.AKSK; k != nil {
		k.SecretKeyFile = promconfig.JoinDir(dir, k.SecretKeyFile)
		k.SecurityTokenFile = promconfig.JoinDir(dir, k.SecurityTokenFile)
	}
	c.HTTPClientConfig.SetDirectory(dir)
}
