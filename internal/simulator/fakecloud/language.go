package fakecloud

import (
	"net/http"
	"strings"
)

// The language of CodeArts Check's texts. The service reads X-Language
// (en-us or zh-cn; without it, Chinese) for error_msg and progress.info;
// the simulator answers its errors in English only when asked to, as the
// service does where the reference gives both wordings.

// Call names, one per API the simulator serves (see Route).
const (
	CallIAMToken         = "iam_token"
	CallProjects         = "projects"
	CallProgress         = "progress"
	CallTaskList         = "task_list"
	CallDefectsStatistic = "defects_statistic"
	CallDefectsSummary   = "defects_summary"
	CallCheckRecord      = "check_record"
)

// english reports whether r asked for English texts.
func english(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Language")), "en-us")
}

// Text is zh, or en when r asked for English.
func Text(r *http.Request, zh, en string) string {
	if r != nil && english(r) {
		return en
	}
	return zh
}
