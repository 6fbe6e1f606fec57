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
	// CodeArts project of discovery.projects. Empty: the exporter looks up
	// the project named after the region on IAMEndpoint, as the SDK does.
	ProjectID string `yaml:"project_id,omitempty"`
	// IAMEndpoint is where the project is looked up; defaults from the
	// region, and is only filled in (and shown) when ProjectID is empty.
	IAMEndpoint string `yaml:"iam_endpoint,omitempty"`
	// ProjectName is the IAM project looked up: the region. Not a key of
	// the file; kept here so that a reload to another region is a change
	// of credentials (a new lookup), not a reuse of the old project.
	ProjectName string `yaml:"-"`
	// SecurityToken comes with temporary access keys (STS); optional.
	SecurityToken     promconfig.Secret `yaml:"security_token,omitempty"`
	SecurityTokenFile string            `yaml:"security_token_file,omitempty"`
}

// accessKeyPattern: real access keys are 20 upper-case letters and digits.
// Anything that could break the Authorization header it travels in (comma,
// space, '=') is refused.
var accessKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)

// validate checks the keys. region and iamEndpoint (the region's IAM, ""
// without a region) are the defaults of the project lookup.
func (k *AKSK) validate(region, iamEndpoint string) error {
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
	if err := k.validateProject(region, iamEndpoint); err != nil {
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

// validateProject checks project_id, or, without it, that the project can
// be looked up: that needs the region (the project's name) and an IAM
// endpoint.
func (k *AKSK) validateProject(region, iamEndpoint string) error {
	if k.IAMEndpoint != "" {
		if err := checkURL("auth.aksk.iam_endpoint", k.IAMEndpoint); err != nil {
			return err
		}
	}
	if k.ProjectID != "" {
		return checkProjectID("auth.aksk.project_id", k.ProjectID, iamProject)
	}
	if region == "" {
		return fieldErr("auth.aksk.project_id", "missing: set it (the IAM project ID of the region, sent as X-Project-Id), or set region to have it looked up")
	}
	if k.IAMEndpoint == "" {
		k.IAMEndpoint = iamEndpoint
	}
	k.ProjectName = region
	return nil
}
