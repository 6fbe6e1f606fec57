package config

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Task and job IDs travel in the request path and query. Anything that
// could change either is refused when the file is loaded (the client
// escapes them anyway: internal/codearts/escape_test.go).
func TestHostileIDsRejectedAtLoad(t *testing.T) {
	const head = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: pw\ntasks:\n"
	for _, id := range []string{
		"../etc", "..", ".", "a/b", "a%2Fb", "a?b=c", "a#frag", "a b", " a", "a&b", "a;b",
		"tâche", "任务", "a\u200bb", "a\x00b", "a\\b", strings.Repeat("a", MaxTaskIDLength+1),
	} {
		quoted := strconv.Quote(id) // YAML double-quoted strings take Go's escapes
		for _, c := range []struct{ key, file string }{
			{"tasks[0].id", head + "  - id: " + quoted + "\n"},
			{"tasks[0].job_id", head + "  - id: abc\n    job_id: " + quoted + "\n"},
		} {
			if c.key == "tasks[0].job_id" && len(id) > MaxTaskIDLength && len(id) <= MaxJobIDLength {
				continue // long job IDs are fine
			}
			_, err := parseYAML([]byte(c.file))
			if err == nil {
				t.Errorf("%s %q accepted", c.key, id)
				continue
			}
			if !strings.Contains(err.Error(), c.key) {
				t.Errorf("%s %q: error %q does not name the key", c.key, id, err)
			}
		}
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
		{"task project_id too short", iamHead + "tasks:\n  - id: a1\n    project_id: abc\n",
			`line 9: tasks[0].project_id: "abc" is 3 hex characters; the CodeArts project ID is 32 (it is in the project's URL in the CodeArts console)`},
		{"task project_id not hex", iamHead + "tasks:\n  - id: a1\n    project_id: " + strings.Repeat("g", 32) + "\n",
			`line 9: tasks[0].project_id: "` + strings.Repeat("g", 32) + `": not a CodeArts project ID, which is 32 hex characters (it is in the project's URL in the CodeArts console)`},
		{"task project_id a region", iamHead + "tasks:\n  - id: a1\n    project_id: cn-north-4\n",
			`line 9: tasks[0].project_id: "cn-north-4" looks like a region name; the CodeArts project ID is 32 hex characters (it is in the project's URL in the CodeArts console)`},
		{"task project_id huge", iamHead + "tasks:\n  - id: a1\n    project_id: " + strings.Repeat("a", 5000) + "\n",
			`line 9: tasks[0].project_id: "` + strings.Repeat("a", 64) + `..." is 5000 hex characters; the CodeArts project ID is 32 (it is in the project's URL in the CodeArts console)`},
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
