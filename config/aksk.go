package config

import (
	"regexp"

	promconfig "github.com/prometheus/common/config"
)

// AKSK is an access key pair: every API request is signed with it
// (SDK-HMAC-SHA256), and no token is ever fetched.
type AKSK struct {
	AccessKey     string            `yaml:"access_key"`
	SecretKey     promconfig.Secret `yaml:"secret_key,omitempty"`
	SecretKeyFile string            `yaml:"secret_key_file,omitempty"`
	// ProjectID is the IAM project ID, sent as X-Project-Id; not the
	// CodeArts project of discovery.projects.
	ProjectID string `yaml:"project_id"`
	// SecurityToken comes with temporary access keys (STS); optional.
	SecurityToken     promconfig.Secret `yaml:"security_token,omitempty"`
	SecurityTokenFile string            `yaml:"security_token_file,omitempty"`
}

// maxIAMProjectIDLength is generous: real IAM project IDs are 32 hex
// characters, and the ID only ever travels in a header.
const maxIAMProjectIDLength = 64

// accessKeyPattern: real access keys are 20 upper-case letters and digits.
// Anything that could break the Authorization header it travels in (comma,
// space, '=') is refused.
var accessKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)

func (k *AKSK) validate() error {
	if k.AccessKey == "" {
		return fieldErr("auth.aksk.access_key", "missing: the access key ID (AK)")
	}
	if !accessKeyPattern.MatchString(k.AccessKey) {
		// The key is not shown: a secret pasted into the wrong field
		// would otherwise end up in a log.
		return fieldErr("auth.aksk.access_key", "want 1 to 128 letters and digits")
	}
	switch {
	case k.SecretKey != "" && k.SecretKeyFile != "":
		return fieldErr("auth.aksk", "set exactly one of secret_key, secret_key_file")
	case k.SecretKeyFile != "":
		if err := checkSecretFile("auth.aksk.secret_key_file", k.SecretKeyFile); err != nil {
			return err
		}
	case k.SecretKey == "":
		return fieldErr("auth.aksk", "missing: set one of secret_key, secret_key_file")
	}
	if k.ProjectID == "" {
		return fieldErr("auth.aksk.project_id", "missing: the IAM project ID of the region, sent as X-Project-Id")
	}
	if err := checkID("auth.aksk.project_id", k.ProjectID, maxIAMProjectIDLength); err != nil {
		return err
	}
	switch {
	case k.SecurityToken != "" && k.SecurityTokenFile != "":
		return fieldErr("auth.aksk", "set at most one of security_token, security_token_file")
	case k.SecurityTokenFile != "":
		if err := checkSecretFile("auth.aksk.security_token_file", k.SecurityTokenFile); err != nil {
			return err
		}
	}
	return nil
}
