package config

import (
	"strings"
	"testing"
	"time"
)

const cdHead = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: s3cr3t\n"

// Off by default, max_age 1h; both keys and tasks[].project_id are read.
func TestChangeDetectionDefaultsAndKeys(t *testing.T) {
	cfg, err := parseYAML([]byte(cdHead + "tasks:\n  - id: a1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChangeDetection.Enabled || cfg.ChangeDetection.MaxAge != DefaultChangeMaxAge || DefaultChangeMaxAge.String() != "1h" {
		t.Errorf("defaults: %+v", cfg.ChangeDetection)
	}
	const pid = "0123456789abcdef0123456789ABCDEF"
	cfg, err = parseYAML([]byte(cdHead + "tasks:\n  - id: a1\n    project_id: " + pid + "\nchange_detection:\n  enabled: true\n  max_age: 1m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ChangeDetection.Enabled || time.Duration(cfg.ChangeDetection.MaxAge) != time.Minute || cfg.Tasks[0].ProjectID != pid {
		t.Errorf("read %+v, project %q", cfg.ChangeDetection, cfg.Tasks[0].ProjectID)
	}
	if !strings.Contains(cfg.String(), "project_id: "+pid) {
		t.Errorf("/config does not show the task's project_id:\n%s", cfg)
	}
}

// Bad values are named by line and key, as the other keys are.
func TestChangeDetectionErrorsNameLineAndKey(t *testing.T) {
	tasks := "tasks:\n  - id: a1\n"
	cases := []struct{ name, yaml, want string }{
		{"max_age below the minimum", cdHead + tasks + "change_detection:\n  enabled: true\n  max_age: 59s\n",
			"line 11: change_detection.max_age: 59s is less than the minimum, 1m"},
		{"max_age not a duration", cdHead + tasks + "change_detection:\n  max_age: often\n",
			`line 10: change_detection.max_age: not a valid duration string: "often"`},
		{"misspelt key", cdHead + tasks + "change_detection:\n  enable: true\n",
			"line 10: change_detection.enable: unknown key (did you mean enabled?)"},
		{"project_id too short", cdHead + tasks + "    project_id: abc\n",
			`line 9: tasks[0].project_id: "abc" is 3 hex characters; the CodeArts project ID is 32 (it is in the project's URL in the CodeArts console)`},
		{"project_id not hex", cdHead + tasks + "    project_id: " + strings.Repeat("g", 32) + "\n",
			`line 9: tasks[0].project_id: "` + strings.Repeat("g", 32) + `": not a CodeArts project ID, which is 32 hex characters (it is in the project's URL in the CodeArts console)`},
		{"project_id a region", cdHead + tasks + "    project_id: cn-north-4\n",
			`line 9: tasks[0].project_id: "cn-north-4" looks like a region name; the CodeArts project ID is 32 hex characters (it is in the project's URL in the CodeArts console)`},
		{"project_id huge", cdHead + tasks + "    project_id: " + strings.Repeat("a", 5000) + "\n",
			`line 9: tasks[0].project_id: "` + strings.Repeat("a", 64) + `..." is 5000 hex characters; the CodeArts project ID is 32 (it is in the project's URL in the CodeArts console)`},
	}
	wantRefused(t, cases)
}
