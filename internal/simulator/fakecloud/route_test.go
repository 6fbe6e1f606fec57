package fakecloud

import "testing"

// Route names each call as ServeHTTP serves it, and "" for what it
// answers 404.
func TestRoute(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/v3/auth/tokens", CallIAMToken},
		{"GET", "/v3/projects", CallProjects},
		{"GET", "/v2/tasks/a/progress", CallProgress},
		{"GET", "/v2/tasks/a/defects-statistic", CallDefectsStatistic},
		{"GET", "/v2/tasks/a/defects-summary", CallDefectsSummary},
		{"GET", "/v2/p1/tasks", CallTaskList},
		{"GET", "/v2/p1/tasks/a/checkrecord", CallCheckRecord},
		{"POST", "/v2/p1/tasks/a/checkrecord", ""},
		{"POST", "/v2/tasks/a/progress", ""},
		{"GET", "/nope", ""},
	} {
		if got, _ := Route(tc.method, tc.path); got != tc.want {
			t.Errorf("Route(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
