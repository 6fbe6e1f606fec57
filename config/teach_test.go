package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

// IDs say what they look like and, where the value holds one, which ID was
// meant. Each case is the exact error.
func TestIDErrorsTeach(t *testing.T) {
	const (
		iamHead = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\n"
		task    = "2b31ed5200000000ebedb6e570000001"
		project = "7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c"
		url     = "https://devcloud.cn-north-4.huaweicloud.com/codecheck/project/" + project + "/codecheck/task/" + task + "/detail"
	)
	cases := []struct{ name, yaml, want string }{
		{"task ID as a console URL", iamHead + "tasks:\n  - id: https://console.example.com/codecheck/" + task + "\n",
			`line 8: tasks[0].id: "` + shorten("https://console.example.com/codecheck/"+task) + `": not a task ID; did you mean ` + task + `?`},
		{"task URL with the project's ID too", iamHead + "tasks:\n  - id: " + url + "\n",
			`line 8: tasks[0].id: "` + shorten(url) + `": not a task ID; did you mean ` + task + `?`},
		{"two IDs, neither after task/", iamHead + "tasks:\n  - id: " + task + "," + project + "\n",
			`line 8: tasks[0].id: "` + shorten(task+","+project) + `": not a task ID; it holds 2 IDs (` + task + ", " + project + `): give the one meant, alone`},
		{"task ID with a space", iamHead + "tasks:\n  - id: \" " + task + "\"\n",
			`line 8: tasks[0].id: " ` + task + `": not a task ID; did you mean ` + task + `?`},
		{"region as a CodeArts project", iamHead + "discovery:\n  projects: [cn-north-4]\n",
			`line 8: discovery.projects[0]: "cn-north-4" looks like a region name; the CodeArts project ID is 32 hex characters (it is in the project's URL in the CodeArts console)`},
		{"name as a CodeArts project", iamHead + "discovery:\n  projects:\n    - web-team\n",
			`line 9: discovery.projects[0]: "web-team": not a CodeArts project ID, which is 32 hex characters (it is in the project's URL in the CodeArts console)`},
		{"CodeArts project URL", iamHead + "discovery:\n  projects: [\"" + url + "\"]\n",
			`line 8: discovery.projects[0]: "` + shorten(url) + `": not a CodeArts project ID; did you mean ` + project + `?`},
		{"short hex", iamHead + "discovery:\n  projects: [7f3b0a1c2d3e]\n",
			`line 8: discovery.projects[0]: "7f3b0a1c2d3e" is 12 hex characters; the CodeArts project ID is 32 (it is in the project's URL in the CodeArts console)`},
		{"UUID", iamHead + "discovery:\n  projects: [7f3b0a1c-2d3e-4f5a-6b7c-8d9e0f1a2b3c]\n",
			`line 8: discovery.projects[0]: "7f3b0a1c-2d3e-4f5a-6b7c-8d9e0f1a2b3c" looks like a UUID; the CodeArts project ID is 32 hex characters, without dashes: did you mean 7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c?`},
		{"region as the AK/SK project", "region: cn-north-4\nauth:\n  aksk:\n    access_key: AK1\n    secret_key: sk\n    project_id: cn-north-4\n",
			`line 6: auth.aksk.project_id: "cn-north-4" looks like a region name; the IAM project ID is 32 hex characters (My Credentials > API Credentials in the console lists it per region)`},
		{"name as the IAM project", iamHead + "    project_id: my-project\n",
			`line 7: auth.iam.project_id: "my-project": not an IAM project ID, which is 32 hex characters (My Credentials > API Credentials in the console lists it per region)`},
	}
	wantRefused(t, cases)
	// Real IDs load: upper-case hex too, and short task IDs (the reference
	// allows 1 to 32 characters).
	cfg, err := parseYAML([]byte(iamHead + "    project_id: 0123456789ABCDEF0123456789abcdef\ntasks:\n  - id: " + task + "\n  - id: a1\ndiscovery:\n  projects: [" + project + "]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tasks[0].ID != task || cfg.Discovery.Projects[0] != project {
		t.Errorf("tasks %+v, projects %v", cfg.Tasks, cfg.Discovery.Projects)
	}
}

// "Did you mean" knows the names people type for keys; a duration without
// a unit says how to write it; a tab says it is a tab, and where.
func TestErrorsTeach(t *testing.T) {
	const (
		head  = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\n"
		tasks = "tasks:\n  - id: a1\n"
	)
	cases := []struct{ name, yaml, want string }{
		{"auth.iam.domain", "region: cn-north-4\nauth:\n  iam:\n    domain: acme\n",
			"line 4: auth.iam.domain: unknown key (did you mean domain_name?)"},
		{"auth.iam.user", "region: cn-north-4\nauth:\n  iam:\n    user: monitor\n",
			"line 4: auth.iam.user: unknown key (did you mean username?)"},
		{"auth.iam.pass", "region: cn-north-4\nauth:\n  iam:\n    pass: pw\n",
			"line 4: auth.iam.pass: unknown key (did you mean password?)"},
		{"tasks[0].task_id", head + "tasks:\n  - task_id: a1\n",
			"line 8: tasks[0].task_id: unknown key (did you mean id?)"},
		{"auth.aksk.ak", "region: cn-north-4\nauth:\n  aksk:\n    ak: AK1\n",
			"line 4: auth.aksk.ak: unknown key (did you mean access_key?)"},
		{"auth.aksk.sk", "region: cn-north-4\nauth:\n  aksk:\n    access_key: AK1\n    SK: x\n",
			"line 5: auth.aksk.SK: unknown key (did you mean secret_key?)"},
		{"region_id", "region_id: cn-north-4\n",
			"line 1: region_id: unknown key (did you mean region?)"},
		{"an alias where its key does not exist", head + tasks + "user: x\n",
			"line 9: user: unknown key"},
		{"duration as a quoted number", head + tasks + "timeout: \"20\"\n",
			`line 9: timeout: not a valid duration string: "20"; a duration needs a unit: use 20s`},
		{"duration as a number", head + tasks + "timeout: 20\n",
			`line 9: timeout: not a valid duration string: "20"; a duration needs a unit: use 20s`},
		{"duration with a word for its unit", head + tasks + "timeout: 2 minutes\n",
			`line 9: timeout: unknown unit " minutes" in duration "2 minutes"; use 2m`},
		{"tab in indentation", "region: cn-north-4\nauth:\n\tiam:\n    password: x\n",
			"line 3, column 1: a tab character; YAML does not allow tabs for indentation: indent with spaces"},
		{"tab after spaces", "region: cn-north-4\nauth:\n  iam:\n  \tpassword: x\n",
			"line 4, column 3: a tab character; YAML does not allow tabs for indentation: indent with spaces"},
		{"tab reported on the line before", "auth:\n  iam: {}\n\ttasks: []\n",
			"line 3, column 1: a tab character; YAML does not allow tabs for indentation: indent with spaces"},
		// Indentation slips and a list of bare task IDs say what to write.
		{"iam at the top level", "region: cn-north-4\niam:\n  domain_name: acme\n",
			"line 2: iam: unknown key (iam belongs under auth: check its indentation)"},
		{"domain_name under auth", "region: cn-north-4\nauth:\n  domain_name: acme\n",
			"line 3: auth.domain_name: unknown key (domain_name belongs under auth.iam: check its indentation)"},
		{"tasks as plain IDs", head + "tasks:\n  - 3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b\n  - 8c2e4a6f0b1d3e5a7c9f2b4d6e8a0c1d\n",
			`line 8: tasks[0]: want a mapping, got "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b"; write a task as "- id: 3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b"`},
		{"tasks as a flow list of IDs", head + "tasks: [a1]\n",
			`line 7: tasks[0]: want a mapping, got "a1"; write a task as "- id: a1"`},
		{"a leading * in include", head + "discovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n  include: \"*-web\"\n",
			"line 9: discovery.include: error parsing regexp: missing argument to repetition operator: `*`; " +
				`"*-web" looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* (".*-web")`},
	}
	wantRefused(t, cases)
}

// include and exclude that look like globs load, with a warning naming
// line and key; regular expressions get none.
func TestGlobLikeFiltersWarn(t *testing.T) {
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ndiscovery:\n  projects: [7f3b0a1c2d3e4f5a6b7c8d9e0f1a2b3c]\n"
	file := filepath.Join(t.TempDir(), "c.yml")
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{head + "  include: web-*\n  exclude: old*\n", []string{
			`line 9: discovery.include: "web-*" looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* ("web-.*")`,
			`line 10: discovery.exclude: "old*" looks like a glob, but it is a regular expression on the whole task name: for a glob's *, write .* ("old.*")`,
		}},
		{head + "  include: \"web-.*|(ab)*|[a-z]*|x\\\\*\"\n", nil},
	} {
		cfg := wantWarnings(t, file, c.yaml, c.yaml, c.want)
		if c.want != nil && (!cfg.Discovery.Keep("web--") || cfg.Discovery.Keep("web-shop")) {
			t.Error("the glob-like include is not in force as the regular expression it is")
		}
	}
}

// A task ID that is not 32 hex characters (a copy cut short) and an IAM
// project named after another region than region load, with a warning
// naming line and key, in the order of the file. IDs that were valid stay
// valid; the warnings about task IDs are bounded.
func TestSuspectIDsAndProjectNameWarn(t *testing.T) {
	const (
		iam   = "auth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\n"
		real  = "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b"
		short = "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2" // the last character lost
		hint  = "a real task ID is 32 hex characters (in the task's URL in the CodeArts console)"
	)
	file := filepath.Join(t.TempDir(), "c.yml")
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"project_name of another region", "region: la-north-2\n" + iam + "    project_name: cn-north-4\ntasks:\n  - id: " + real + "\n", []string{
			`line 7: auth.iam.project_name: "cn-north-4" names another region than region (la-north-2): the token would be scoped to cn-north-4's project; remove project_name (it defaults to la-north-2) or set it to la-north-2`,
		}},
		{"a task ID cut short, and one not hex", "region: cn-north-4\n" + iam + "tasks:\n  - id: " + real + "\n  - id: " + short + "\n  - id: web-shop\n", []string{
			`line 9: tasks[1].id: "` + short + `" is 31 characters; ` + hint + `: is it cut short?`,
			`line 10: tasks[2].id: "web-shop" is not hex; ` + hint,
		}},
		{"many short IDs: three, then one for the rest", "region: cn-north-4\n" + iam + "tasks:\n  - id: a1\n  - id: a2\n  - id: a3\n  - id: a4\n  - id: " + real + "\n  - id: a5\n  - id: a6\n", []string{
			`line 8: tasks[0].id: "a1" is 2 characters; ` + hint + `: is it cut short?`,
			`line 9: tasks[1].id: "a2" is 2 characters; ` + hint + `: is it cut short?`,
			`line 10: tasks[2].id: "a3" is 2 characters; ` + hint + `: is it cut short?`,
			`line 11: tasks[3].id: "a4" and 2 more task IDs after it are not 32 hex characters either`,
		}},
		{"the fourth alone is named as the others", "region: cn-north-4\n" + iam + "tasks:\n  - id: a1\n  - id: a2\n  - id: a3\n  - id: a4\n", []string{
			`line 8: tasks[0].id: "a1" is 2 characters; ` + hint + `: is it cut short?`,
			`line 9: tasks[1].id: "a2" is 2 characters; ` + hint + `: is it cut short?`,
			`line 10: tasks[2].id: "a3" is 2 characters; ` + hint + `: is it cut short?`,
			`line 11: tasks[3].id: "a4" is 2 characters; ` + hint + `: is it cut short?`,
		}},
		// No warning: the project is the region's (given or defaulted), a
		// sub-project of it, or not a region's name; upper-case hex IDs.
		{"project_name of the region", "region: la-north-2\n" + iam + "    project_name: la-north-2\ntasks:\n  - id: " + real + "\n", nil},
		{"project_name defaulted", "region: la-north-2\n" + iam + "tasks:\n  - id: " + strings.ToUpper(real) + "\n", nil},
		{"a sub-project", "region: la-north-2\n" + iam + "    project_name: la-north-2_web\ntasks:\n  - id: " + real + "\n", nil},
		{"project_name without region", "endpoint: https://codearts-check.example.com\n" + strings.Replace(iam, "  iam:\n", "  iam:\n    endpoint: https://iam.example.com\n", 1) + "    project_name: cn-north-4\ntasks:\n  - id: " + real + "\n", nil},
	} {
		wantWarnings(t, file, c.name, c.yaml, c.want)
	}
}

// wantWarnings writes content to file, loads it and checks that the
// warnings are want, exactly; name names the case in failures.
func wantWarnings(t *testing.T, file, name, content string, want []string) *Config {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := Load(file)
	if err != nil {
		t.Fatalf("%s: refused: %v", name, err)
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: warnings\n got %q\nwant %q", name, warnings, want)
	}
	return cfg
}
