package config

import (
	"cmp"
	"regexp"

	promconfig "github.com/prometheus/common/config"
)

// Auth holds exactly one way to authenticate.
type Auth struct {
	IAM       *IAM   `yaml:"iam,omitempty"`
	TokenFile string `yaml:"token_file,omitempty"`
	AKSK      *AKSK  `yaml:"aksk,omitempty"`
}

// IAM is a password login to IAM.
type IAM struct {
	Endpoint     string            `yaml:"endpoint,omitempty"`
	DomainName   string            `yaml:"domain_name"`
	Username     string            `yaml:"username"`
	Password     promconfig.Secret `yaml:"password,omitempty"`
	PasswordFile string            `yaml:"password_file,omitempty"`
	ProjectName  string            `yaml:"project_name,omitempty"`
	ProjectID    string            `yaml:"project_id,omitempty"`
}

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
	// IAMEndpoint defaults from the region; filled in (and shown) only without ProjectID.
	IAMEndpoint string `yaml:"iam_endpoint,omitempty"`
	// ProjectName, the region, is the project looked up: kept so that a
	// reload to another region is a change of credentials (a new lookup).
	ProjectName string `yaml:"-"`
	// SecurityToken comes with temporary access keys (STS); optional.
	SecurityToken     promconfig.Secret `yaml:"security_token,omitempty"`
	SecurityTokenFile string            `yaml:"security_token_file,omitempty"`
}

// accessKeyPattern: real access keys are 20 letters and digits; what could
// break the Authorization header (comma, space, '=') is refused.
var accessKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)

// validate checks the auth section. region and iamEndpoint (the region's
// IAM, "" without a region) are the defaults of IAM endpoints and projects.
func (a *Auth) validate(region, iamEndpoint string) error {
	switch {
	case a.IAM != nil && (a.TokenFile != "" || a.AKSK != nil), a.TokenFile != "" && a.AKSK != nil:
		return fieldErr("auth", "set exactly one of iam, token_file, aksk")
	case a.IAM != nil:
		return a.IAM.validate(region, iamEndpoint)
	case a.TokenFile != "":
		return checkSecret("auth", "token", "", a.TokenFile, true)
	case a.AKSK != nil:
		return a.AKSK.validate(region, iamEndpoint)
	}
	return fieldErr("auth", "missing: set one of iam, token_file, aksk")
}

func (i *IAM) validate(region, iamEndpoint string) error {
	i.Endpoint = cmp.Or(i.Endpoint, iamEndpoint)
	if i.ProjectName == "" && i.ProjectID == "" {
		// In Huawei Cloud the default project of a region is named after
		// it. The token is for the task's own region even where another
		// region's host serves the API (cn-north-1 through cn-north-4's).
		i.ProjectName = region
	}
	return cmp.Or(
		check(i.Endpoint == "", "auth.iam.endpoint", "set it, or set region"),
		checkURL("auth.iam.endpoint", i.Endpoint),
		check(i.DomainName == "", "auth.iam.domain_name", "missing: the account (domain) name"),
		check(i.Username == "", "auth.iam.username", "missing: the IAM user name"),
		checkSecret("auth.iam", "password", i.Password, i.PasswordFile, true),
		check(i.ProjectName != "" && i.ProjectID != "", "auth.iam", "set at most one of project_name, project_id"),
		check(i.ProjectName == "" && i.ProjectID == "", "auth.iam.project_name",
			"missing: set project_name or project_id (or region, its default)"),
		checkProjectID("auth.iam.project_id", i.ProjectID, iamProject),
	)
}

func (k *AKSK) validate(region, iamEndpoint string) error {
	if k.ProjectID == "" && region != "" {
		k.IAMEndpoint = cmp.Or(k.IAMEndpoint, iamEndpoint)
		k.ProjectName = region
	}
	return cmp.Or(
		check(k.AccessKey == "", "auth.aksk.access_key", "missing: the access key ID (AK)"),
		// Not shown: a secret pasted into the wrong field would end up in a log.
		check(!accessKeyPattern.MatchString(k.AccessKey), "auth.aksk.access_key", "want 1 to 128 letters and digits"),
		checkSecret("auth.aksk", "secret_key", k.SecretKey, k.SecretKeyFile, true),
		checkURL("auth.aksk.iam_endpoint", k.IAMEndpoint),
		check(k.ProjectID == "" && region == "", "auth.aksk.project_id",
			"missing: set it (the IAM project ID of the region, sent as X-Project-Id), or set region to have it looked up"),
		checkProjectID("auth.aksk.project_id", k.ProjectID, iamProject),
		checkSecret("auth.aksk", "security_token", k.SecurityToken, k.SecurityTokenFile, false),
	)
}

// checkSecret checks a secret given as key or key_file under path: one of
// the two if required, at most one otherwise.
func checkSecret(path, key string, value promconfig.Secret, file string, required bool) error {
	switch {
	case value != "" && file != "" && required:
		return fieldErr(path, "set exactly one of %s, %s_file", key, key)
	case value != "" && file != "":
		return fieldErr(path, "set at most one of %s, %s_file", key, key)
	case file != "":
		_, err := ReadSecretFile(file)
		return check(err != nil, path+"."+key+"_file", "%v", err)
	case value == "" && required:
		return fieldErr(path, "missing: set one of %s, %s_file", key, key)
	}
	return nil
}
