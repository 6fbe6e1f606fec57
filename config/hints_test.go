package config

import "testing"

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
