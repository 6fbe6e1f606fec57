package config

import (
	"cmp"
	"regexp"
	"strings"
)

// Real task and project IDs are 32 hex characters. A task ID need only be
// safe in a URL (the reference allows 1 to 32 characters); a project ID
// must be real, since what is put there by mistake (a region, a project
// name) is well formed too.
var (
	hexRun    = regexp.MustCompile(`[0-9A-Fa-f]+`)
	hexID     = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)
	uuidForm  = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	regionish = regexp.MustCompile(`^[a-z]{2}-[a-z]+-[0-9]+$`)
)

// CheckTaskID reports whether id would be accepted as tasks[].id, for the
// IDs discovery lists: they become URL path segments and label values too.
func CheckTaskID(id string) error {
	return checkID("task_id", id, MaxTaskIDLength)
}

// checkTaskID checks a task ID at path: safe in a URL, and not a URL or
// other text around an ID.
func checkTaskID(path, id string) error {
	if hexID.MatchString(id) {
		return nil
	}
	return cmp.Or(didYouMean(path, id, "a task ID", "task/"), checkID(path, id, MaxTaskIDLength))
}

// didYouMean refuses value if it holds IDs (a console URL), naming the one
// meant: the only one, or the one after after ("task/"). It is not taken
// out silently: the file should say what is exported.
func didYouMean(path, value, aWhat, after string) error {
	var ids []string
	preferred := ""
	for _, loc := range hexRun.FindAllStringIndex(value, -1) {
		if id := value[loc[0]:loc[1]]; len(id) == 32 {
			ids = append(ids, id)
			if strings.HasSuffix(strings.ToLower(value[:loc[0]]), after) {
				preferred = id
			}
		}
	}
	switch {
	case len(ids) == 0:
		return nil
	case len(ids) == 1:
		preferred = ids[0]
	case preferred == "":
		return fieldErr(path, "%q: not %s; it holds %d IDs (%s): give the one meant, alone",
			shorten(value), aWhat, len(ids), strings.Join(ids, ", "))
	}
	return fieldErr(path, "%q: not %s; did you mean %s?", shorten(value), aWhat, preferred)
}

// projectKind is one of the two kinds of project ID the file holds.
type projectKind struct{ a, what, where string }

var (
	codeArtsProject = projectKind{"a", "CodeArts project ID", "it is in the project's URL in the CodeArts console"}
	iamProject      = projectKind{"an", "IAM project ID",
		"My Credentials > API Credentials in the console lists it per region"}
)

// checkProjectID refuses an id at path that is not a project ID of kind
// k, saying what it looks like; "" is no ID to check.
func checkProjectID(path, id string, k projectKind) error {
	switch {
	case id == "" || hexID.MatchString(id):
		return nil
	case uuidForm.MatchString(id):
		return fieldErr(path, "%q looks like a UUID; the %s is 32 hex characters, without dashes: did you mean %s?",
			id, k.what, strings.ReplaceAll(id, "-", ""))
	case regionish.MatchString(id):
		return fieldErr(path, "%q looks like a region name; the %s is 32 hex characters (%s)", id, k.what, k.where)
	case hexRun.FindString(id) == id:
		return fieldErr(path, "%q is %d hex characters; the %s is 32 (%s)", shorten(id), len(id), k.what, k.where)
	}
	return cmp.Or(didYouMean(path, id, k.a+" "+k.what, "project/"),
		fieldErr(path, "%q: not %s %s, which is 32 hex characters (%s)", shorten(id), k.a, k.what, k.where))
}
