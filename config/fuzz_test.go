package config

import (
	"errors"
	"regexp"
	"slices"
	"testing"

	promconfig "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v2"
)

// FuzzParse: whatever the file holds, Parse must not panic; an error must
// say something and never name a Go type; a file it accepts must have IDs that cannot alter a URL,
// and its String() (what /config shows) must be YAML in which every secret
// reads <secret>. Seed corpus in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("region: cn-north-4\nauth:\n  iam:\n    domain_name: a\n    username: b\n    password: hunter2\ntasks:\n  - id: abc\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseYAML(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error", data)
			}
			if goType.MatchString(err.Error()) {
				t.Fatalf("Parse(%q): error names a Go type: %v", data, err)
			}
			// A line given is one of the file's (0 is "not known").
			var fe *FieldError
			if errors.As(err, &fe) && fe.Line > lineCount(data) {
				t.Fatalf("Parse(%q): line %d of a file of %d lines", data, fe.Line, lineCount(data))
			}
			return
		}
		for i, task := range cfg.Tasks {
			if !idPattern.MatchString(task.ID) || (task.JobID != "" && !idPattern.MatchString(task.JobID)) {
				t.Fatalf("Parse(%q) accepted tasks[%d] %q / job %q", data, i, task.ID, task.JobID)
			}
		}
		shown := cfg.String()
		var back Config
		if err := yaml.Unmarshal([]byte(shown), &back); err != nil {
			t.Fatalf("String() of Parse(%q) is not YAML: %v\n%s", data, err, shown)
		}
		if !slices.EqualFunc(cfg.Tasks, back.Tasks, func(a, b Task) bool { return a.ID == b.ID && a.Name == b.Name && a.JobID == b.JobID }) {
			t.Fatalf("String() of Parse(%q) shows tasks %v, want %v", data, back.Tasks, cfg.Tasks)
		}
		for _, s := range secretPairs(cfg, &back) {
			if s.orig != "" && s.shown != "<secret>" {
				t.Fatalf("Parse(%q): %s shown as %q", data, s.name, s.shown)
			}
		}
	})
}

// goType matches how yaml.v2 names Go types: "in type config.IAM",
// "into int".
var goType = regexp.MustCompile(`in type |into [a-z]|unmarshal !!`)

type secretPair struct {
	name        string
	orig, shown promconfig.Secret
}

// secretPairs lists every secret of cfg beside how back (cfg shown and read
// again) holds it.
func secretPairs(cfg, back *Config) []secretPair {
	pairs := httpSecrets("http_client_config", &cfg.HTTPClientConfig, &back.HTTPClientConfig)
	if cfg.Auth.IAM != nil && back.Auth.IAM != nil {
		pairs = append(pairs, secretPair{"auth.iam.password", cfg.Auth.IAM.Password, back.Auth.IAM.Password})
	}
	if cfg.Auth.AKSK != nil && back.Auth.AKSK != nil {
		pairs = append(pairs,
			secretPair{"auth.aksk.secret_key", cfg.Auth.AKSK.SecretKey, back.Auth.AKSK.SecretKey},
			secretPair{"auth.aksk.security_token", cfg.Auth.AKSK.SecurityToken, back.Auth.AKSK.SecurityToken})
	}
	return pairs
}

func httpSecrets(path string, c, b *promconfig.HTTPClientConfig) []secretPair {
	pairs := []secretPair{{path + ".bearer_token", c.BearerToken, b.BearerToken}}
	if c.BasicAuth != nil && b.BasicAuth != nil {
		pairs = append(pairs, secretPair{path + ".basic_auth.password", c.BasicAuth.Password, b.BasicAuth.Password})
	}
	if c.Authorization != nil && b.Authorization != nil {
		pairs = append(pairs, secretPair{path + ".authorization.credentials", c.Authorization.Credentials, b.Authorization.Credentials})
	}
	if c.OAuth2 != nil && b.OAuth2 != nil {
		pairs = append(pairs, secretPair{path + ".oauth2.client_secret", c.OAuth2.ClientSecret, b.OAuth2.ClientSecret})
	}
	return pairs
}
