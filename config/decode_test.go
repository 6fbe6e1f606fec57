package config

import (
	"errors"
	"strings"
	"testing"
)

// Configuration errors name the key path and the line, never a Go type:
// the operator edits a file, not the exporter's source. Each case is a file
// and the exact error Parse gives for it.
func TestErrorMessagesNameKeyAndLine(t *testing.T) {
	const (
		// head is lines 1-6; tasks adds lines 7-8.
		head  = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: s3cr3t\n"
		tasks = "tasks:\n  - id: a1\n"
	)
	cases := []struct{ name, yaml, want string }{
		// Unknown keys, at every depth.
		{"top-level", head + tasks + "tasts: []\n",
			"line 9: tasts: unknown key (did you mean tasks?)"},
		{"in auth.iam", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    user_name: monitor\n",
			"line 5: auth.iam.user_name: unknown key (did you mean username?)"},
		{"in a task", head + tasks + "  - id: b2\n    nmae: web\n",
			"line 10: tasks[1].nmae: unknown key (did you mean name?)"},
		{"nothing alike", head + tasks + "colour: blue\n",
			"line 9: colour: unknown key"},
		{"in http_client_config", head + tasks + "http_client_config:\n  proxy_ulr: http://proxy:3128\n",
			"line 10: http_client_config.proxy_ulr: unknown key (did you mean proxy_url?)"},
		{"in http_client_config.tls_config", head + tasks + "http_client_config:\n  tls_config:\n    insecure_skip_verfy: true\n",
			"line 11: http_client_config.tls_config.insecure_skip_verfy: unknown key (did you mean insecure_skip_verify?)"},
		{"in http_client_config.http_headers", head + tasks + "http_client_config:\n  http_headers:\n    X-Team:\n      value: [a]\n",
			"line 12: http_client_config.http_headers.X-Team.value: unknown key (did you mean values?)"},
		{"in discovery", head + "discovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  refresh: 1m\n",
			"line 9: discovery.refresh: unknown key"},
		// A key valid at another level: indented under the wrong parent.
		{"a user name at the top level", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\nusername: monitor\n",
			"line 5: username: unknown key (username belongs under auth.iam: check its indentation)"},
		{"tasks under auth", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n  tasks:\n    - id: a1\n",
			"line 5: auth.tasks: unknown key (tasks belongs at the top level: check its indentation)"},
		{"a task's name at the top level", head + tasks + "name: web\n",
			"line 9: name: unknown key (name belongs in each item of tasks: check its indentation)"},
		{"a key of several places", head + tasks + "project_id: 7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c\n",
			"line 9: project_id: unknown key (project_id belongs in each item of tasks, under auth.aksk or under auth.iam: check its indentation)"},
		{"the exporter's key before http_client_config's", "region: cn-north-4\nauth:\n  password: pw\n",
			"line 3: auth.password: unknown key (password belongs under auth.iam: check its indentation)"},
		{"http_client_config's own", head + tasks + "http_client_config:\n  ca_file: ca.pem\n",
			"line 10: http_client_config.ca_file: unknown key (ca_file belongs under http_client_config.tls_config or under http_client_config.oauth2.tls_config: check its indentation)"},
		{"a key twice", head + tasks + "region: cn-east-3\n",
			"line 9: region: set twice (first on line 1)"},

		// Values of the wrong type.
		{"string for int", head + tasks + "concurrency: four\n",
			`line 9: concurrency: want an integer, got "four"`},
		{"string for float", head + tasks + "max_requests_per_second: lots\n",
			`line 9: max_requests_per_second: want a number, got "lots"`},
		{"string for bool", head + tasks + "http_client_config:\n  follow_redirects: maybe\n",
			`line 10: http_client_config.follow_redirects: want true or false, got "maybe"`},
		{"mapping for list", head + "tasks:\n  id: a1\n",
			"line 7: tasks: want a list, got a mapping"},
		{"scalar for mapping", head + "tasks:\n  - a1\n",
			`line 8: tasks[0]: want a mapping, got "a1"; write a task as "- id: a1"`},
		{"list for string", "region: [a]\n",
			"line 1: region: want a string, got a list"},
		{"mapping for a secret", "region: cn-north-4\nauth:\n  iam:\n    password: {a: b}\n",
			"line 4: auth.iam.password: want a string, got a mapping"},
		{"not a mapping", "just words\n",
			`line 1: the file must be a mapping of keys (region, auth, tasks, ...), got "just words"`},
		// A document without content names the line its "---" is on, not
		// the line after it, which may not exist (a fuzz finding).
		{"a document marker alone", "---",
			"line 1: the YAML document that starts here holds no keys: start from codearts_check_exporter.example.yml, or run with --demo"},
		{"an empty document after comments", "# settings\n\n---\n# none yet\n",
			"line 3: the YAML document that starts here holds no keys: start from codearts_check_exporter.example.yml, or run with --demo"},
		{"a null document", "~\n",
			"line 1: the YAML document that starts here holds no keys: start from codearts_check_exporter.example.yml, or run with --demo"},

		// Durations.
		{"duration out of range", head + tasks + "timeout: 100000000000y\n",
			`line 9: timeout: "100000000000y": duration out of range`},
		{"not a duration", head + tasks + "timeout: soon\n",
			`line 9: timeout: not a valid duration string: "soon"`},
		{"duration of a number", head + tasks + "min_interval: 5\n",
			`line 9: min_interval: not a valid duration string: "5"; a duration needs a unit: use 5s`},
		{"nested duration", head + "discovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  refresh_interval: 1x\n",
			`line 9: discovery.refresh_interval: unknown unit "x" in duration "1x"`},
		{"duration for a list", head + tasks + "timeout: [1s]\n",
			"line 9: timeout: want a duration like 30s or 5m, got a list"},

		// A type's own checks name the key that holds it.
		{"http_client_config check", head + tasks + "http_client_config:\n  bearer_token: a\n  bearer_token_file: b\n",
			"line 9: http_client_config: at most one of bearer_token & bearer_token_file must be configured"},
		{"bad proxy URL", head + tasks + "http_client_config:\n  proxy_url: \"::x\"\n",
			`line 10: http_client_config.proxy_url: parse "::x": missing protocol scheme`},

		// One document only: a second one would be ignored.
		{"second document", head + tasks + "---\nfoo: bar\n",
			"line 9: a second YAML document starts here: the file must hold one document"},
		{"empty second document", head + tasks + "---\n",
			"line 9: a second YAML document starts here: the file must hold one document"},

		// Validation after decoding names key and line alike.
		{"refresh_interval below the minimum", head + "discovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  refresh_interval: 1ms\n",
			"line 9: discovery.refresh_interval: 1ms is less than the minimum, 30s"},
		{"task name too long", head + tasks + "    name: " + strings.Repeat("n", 257) + "\n",
			"line 9: tasks[0].name: 257 characters, more than 256"},
	}
	wantRefused(t, cases, "s3cr3t")
}

// The value of a secret key never shows in an error, whatever YAML tag it
// carries: a tag the value does not fit is named, the value is not. Each
// case is the exact error.
func TestSecretValueNeverInAnError(t *testing.T) {
	const (
		secret = "S3cr3t-Value-9f2c"
		tasks  = "tasks:\n  - id: abc\n"
		iam    = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n"
		aksk   = "region: cn-north-4\nauth:\n  aksk:\n    access_key: AK1\n"
		head   = iam + "    password: pw\n" + tasks
	)
	var cases []struct{ name, yaml, want string }
	for _, tag := range []string{"!!int", "!!float", "!!bool", "!!timestamp", "!!null", "!!binary"} {
		cases = append(cases,
			struct{ name, yaml, want string }{"password " + tag, iam + "    password: " + tag + " \"" + secret + "\"\n" + tasks,
				"line 6: auth.iam.password: the value is tagged " + tag + " but does not read as one; remove the tag"},
			struct{ name, yaml, want string }{"secret_key " + tag, aksk + "    secret_key: " + tag + " " + secret + "\n" + tasks,
				"line 5: auth.aksk.secret_key: the value is tagged " + tag + " but does not read as one; remove the tag"},
			struct{ name, yaml, want string }{"security_token " + tag, aksk + "    secret_key: sk\n    security_token: " + tag + " '" + secret + "'\n" + tasks,
				"line 6: auth.aksk.security_token: the value is tagged " + tag + " but does not read as one; remove the tag"},
		)
	}
	cases = append(cases, []struct{ name, yaml, want string }{
		{"bearer_token", head + "http_client_config:\n  bearer_token: !!int " + secret + "\n",
			"line 10: http_client_config.bearer_token: the value is tagged !!int but does not read as one; remove the tag"},
		{"basic_auth.password", head + "http_client_config:\n  basic_auth:\n    username: u\n    password: !!float " + secret + "\n",
			"line 12: http_client_config.basic_auth.password: the value is tagged !!float but does not read as one; remove the tag"},
		{"authorization.credentials", head + "http_client_config:\n  authorization:\n    credentials: !!bool " + secret + "\n",
			"line 11: http_client_config.authorization.credentials: the value is tagged !!bool but does not read as one; remove the tag"},
		{"oauth2.client_secret", head + "http_client_config:\n  oauth2:\n    client_id: c\n    client_secret: !!timestamp " + secret + "\n    token_url: http://x/\n",
			"line 12: http_client_config.oauth2.client_secret: the value is tagged !!timestamp but does not read as one; remove the tag"},
		{"http_headers secrets", head + "http_client_config:\n  http_headers:\n    X-Key:\n      secrets: [!!null " + secret + "]\n",
			"line 12: http_client_config.http_headers.X-Key.secrets[0]: the value is tagged !!null but does not read as one; remove the tag"},
		// A value that is not a secret is shown, to be found.
		{"username", "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: !!int bob\n",
			`line 5: auth.iam.username: "bob" is tagged !!int but does not read as one; remove the tag`},
	}...)
	wantRefused(t, cases, secret)
	// A tag the value fits is no error: the secret is its text.
	cfg, err := parseYAML([]byte(iam + "    password: !!int 12345\n" + tasks))
	if err != nil || cfg.Auth.IAM.Password != "12345" {
		t.Errorf("password: !!int 12345: %v, %q", err, cfg.Auth.IAM.Password)
	}
}

// An error the walk cannot place (it finds none in the file) is yaml.v3's
// message without its Go types and values: the last resort.
func TestLastResortNamesNoGoType(t *testing.T) {
	err := explain([]byte("region: x\n"), errors.New("yaml: unmarshal errors:\n"+
		"  line 9: field tasts not found in type config.Config\n  line 3: cannot unmarshal !!str `s3cr3t` into int"))
	want := "yaml: unmarshal errors:\n  line 9: unknown key tasts\n  line 3: a value of the wrong type (!!str)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
