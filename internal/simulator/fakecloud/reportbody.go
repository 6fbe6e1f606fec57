package fakecloud

import (
	"encoding/json"
	"strconv"
	"time"
)

// The bodies of the report calls (report.go), as the CodeArts Check API
// reference shows them (ShowTaskDefectsStatisticV2, ShowTaskDetailV2).

// ReportAnswer is what both report calls answer for a task with a report.
// Every field of both SDK models is optional, so the service may leave
// all of them out, or send them null, for a task with no report yet.
type ReportAnswer int

const (
	ReportFull  ReportAnswer = iota // the report (the default)
	ReportEmpty                     // {}
	ReportNulls                     // every field null: the statistic's four, the summary's in its shape
)

// SetReportAnswer makes both report calls for taskID (every task when
// taskID is "") answer as a says; ReportFull for a task exempts it from
// an answer set for every task.
func (s *Server) SetReportAnswer(taskID string, a ReportAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	initMap(&s.reports.answers)[taskID] = a
}

// body is the answer a makes of full, the body render gave.
func (a ReportAnswer) body(full any) any {
	switch a {
	case ReportEmpty:
		return struct{}{}
	case ReportNulls:
		b, err := json.Marshal(full)
		if err != nil {
			panic("simulator: marshal report: " + err.Error())
		}
		var fields map[string]any
		_ = json.Unmarshal(b, &fields) // always an object: one of this file's types
		if _, ok := full.(summaryExampleBody); ok {
			info := map[string]any{}
			for _, k := range []string{"taskName", "branch", "codeLineTotal", "codeLine", "lastCheckTime", "codeQuality",
				"riskCoefficient", "duplicationRatio", "commentRatio", "isAccess", "defectInfo", "defectStatusInfo"} {
				info[k] = nil
			}
			return map[string]any{"result": map[string]any{"info": info}}
		}
		for k := range fields {
			fields[k] = nil
		}
		if _, ok := full.(statisticBody); ok {
			fields["last_check_time"], fields["last_check_finish_time"] = nil, nil
		}
		if _, ok := full.(summarySchemaBody); ok {
			fields["last_check_time"], fields["duplication_ratio"], fields["comment_ratio"], fields["is_access"] = nil, nil, nil, nil
		}
		return fields
	}
	return full
}

// statisticBody is the defects-statistic answer. The status object carries
// the newer answers' fixed and solved next to resolved (their sum).
type statisticBody struct {
	Severity struct {
		Critical   int `json:"critical"`
		Major      int `json:"major"`
		Minor      int `json:"minor"`
		Suggestion int `json:"suggestion"`
	} `json:"severity"`
	Status struct {
		Unresolved int `json:"unresolved"`
		Resolved   int `json:"resolved"`
		Dismissed  int `json:"dismissed"`
		Fixed      int `json:"fixed"`
		Solved     int `json:"solved"`
	} `json:"status"`
	LastCheckTime       string `json:"last_check_time,omitempty"`
	LastCheckFinishTime string `json:"last_check_finish_time,omitempty"`
}

// reportTimeUTC is the statistic's and the summary schema's time format.
const reportTimeUTC = "2006-01-02T15:04:05Z"

// renderStatistic is r as the defects-statistic call sends it; the check
// times only with time_info_switch=true (withTimes).
func renderStatistic(r Report, withTimes bool) statisticBody {
	var b statisticBody
	b.Severity.Critical, b.Severity.Major, b.Severity.Minor, b.Severity.Suggestion = r.Critical, r.Major, r.Minor, r.Suggestion
	b.Status.Unresolved, b.Status.Resolved, b.Status.Dismissed = r.Unresolved, r.Resolved, r.Dismissed
	b.Status.Fixed = r.Resolved / 3
	b.Status.Solved = r.Resolved - b.Status.Fixed
	if withTimes {
		b.LastCheckTime = formatTime(r.CheckStart, time.UTC, reportTimeUTC)
		b.LastCheckFinishTime = formatTime(r.CheckEnd, time.UTC, reportTimeUTC)
	}
	return b
}

// summarySchemaBody is the defects-summary answer in the schema's shape
// (SummarySchema): snake_case, integers and numbers typed, ratios and the
// per-severity counts strings.
type summarySchemaBody struct {
	TaskID           string  `json:"task_id"`
	TaskName         string  `json:"task_name"`
	CreatorID        string  `json:"creator_id"`
	GitURL           string  `json:"git_url"`
	GitBranch        string  `json:"git_branch"`
	LastCheckTime    string  `json:"last_check_time,omitempty"`
	CheckType        string  `json:"check_type"`
	TriggerType      string  `json:"trigger_type"`
	CodeLineTotal    int     `json:"code_line_total"`
	CodeLine         int     `json:"code_line"`
	IssueCount       int     `json:"issue_count"`
	CodeQuality      float64 `json:"code_quality"`
	RiskCoefficient  float64 `json:"risk_coefficient"`
	DuplicationRatio string  `json:"duplication_ratio,omitempty"`
	CommentRatio     string  `json:"comment_ratio,omitempty"`
	CriticalCount    string  `json:"critical_count"`
	MajorCount       string  `json:"major_count"`
	MinorCount       string  `json:"minor_count"`
	SuggestionCount  string  `json:"suggestion_count"`
	IsAccess         string  `json:"is_access,omitempty"`
}

// summaryExampleBody is the answer in the example's shape
// (SummaryExample): {"result":{"info":{...}}}, camelCase, every number a
// string. The example's defectInfo counts are called critical, serious,
// normal and prompt.
type summaryExampleBody struct {
	Result struct {
		Info summaryExampleInfo `json:"info"`
	} `json:"result"`
}

type summaryExampleInfo struct {
	TaskName         string `json:"taskName"`
	Branch           string `json:"branch"`
	CodeLineTotal    string `json:"codeLineTotal"`
	CodeLine         string `json:"codeLine"`
	LastCheckTime    string `json:"lastCheckTime,omitempty"`
	CodeQuality      string `json:"codeQuality"`
	RiskCoefficient  string `json:"riskCoefficient"`
	DuplicationRatio string `json:"duplicationRatio,omitempty"`
	CommentRatio     string `json:"commentRatio,omitempty"`
	IsAccess         string `json:"isAccess,omitempty"`
	DefectInfo       struct {
		CriticalCount string `json:"criticalCount"`
		SeriousCount  string `json:"seriousCount"`
		NormalCount   string `json:"normalCount"`
		PromptCount   string `json:"promptCount"`
	} `json:"defectInfo"`
	DefectStatusInfo struct {
		NewCount     string `json:"newCount"`
		SolvedCount  string `json:"solvedCount"`
		IgnoredCount string `json:"ignoredCount"`
	} `json:"defectStatusInfo"`
}

// renderSummary is task t's report r as the defects-summary call sends it
// in shape.
func renderSummary(id string, t Task, r Report, shape SummaryShape) any {
	issues := r.Critical + r.Major + r.Minor + r.Suggestion
	quality := 100 - float64(issues)/10
	risk := float64(10*r.Critical + 3*r.Major + r.Minor)
	if shape == SummaryExample {
		var b summaryExampleBody
		i := &b.Result.Info
		i.TaskName, i.Branch = t.Name, t.GitBranch
		i.CodeLineTotal, i.CodeLine = strconv.Itoa(r.CodeLinesTotal), strconv.Itoa(r.CodeLines)
		i.LastCheckTime = formatTime(r.CheckStart, beijing, "2006-01-02 15:04:05")
		i.CodeQuality = strconv.FormatFloat(quality, 'f', 1, 64)
		i.RiskCoefficient = strconv.FormatFloat(risk, 'f', -1, 64)
		i.DuplicationRatio, i.CommentRatio, i.IsAccess = r.DuplicationRatio, r.CommentRatio, r.IsAccess
		i.DefectInfo.CriticalCount = strconv.Itoa(r.Critical)
		i.DefectInfo.SeriousCount = strconv.Itoa(r.Major)
		i.DefectInfo.NormalCount = strconv.Itoa(r.Minor)
		i.DefectInfo.PromptCount = strconv.Itoa(r.Suggestion)
		i.DefectStatusInfo.NewCount = strconv.Itoa(r.Unresolved)
		i.DefectStatusInfo.SolvedCount = strconv.Itoa(r.Resolved)
		i.DefectStatusInfo.IgnoredCount = strconv.Itoa(r.Dismissed)
		return b
	}
	return summarySchemaBody{
		TaskID:           id,
		TaskName:         t.Name,
		CreatorID:        "0123456789abcdef0123456789abcdef",
		GitURL:           "https://codehub.example/" + t.ProjectID + "/" + t.Name + ".git",
		GitBranch:        t.GitBranch,
		LastCheckTime:    formatTime(r.CheckStart, time.UTC, reportTimeUTC),
		CheckType:        "full",
		TriggerType:      "manual",
		CodeLineTotal:    r.CodeLinesTotal,
		CodeLine:         r.CodeLines,
		IssueCount:       issues,
		CodeQuality:      quality,
		RiskCoefficient:  risk,
		DuplicationRatio: r.DuplicationRatio,
		CommentRatio:     r.CommentRatio,
		CriticalCount:    strconv.Itoa(r.Critical),
		MajorCount:       strconv.Itoa(r.Major),
		MinorCount:       strconv.Itoa(r.Minor),
		SuggestionCount:  strconv.Itoa(r.Suggestion),
		IsAccess:         r.IsAccess,
	}
}

// beijing is the zone of the times the service writes without one.
var beijing = time.FixedZone("UTC+8", 8*60*60)

// formatTime is t in loc and layout, or "" (not sent) for the zero time.
func formatTime(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(layout)
}
