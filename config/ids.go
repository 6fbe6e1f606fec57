package config

import (
	"regexp"
	"strings"
)

// Real task IDs, CodeArts project IDs and IAM project IDs are all 32 hex
// characters. A task ID must only be safe in a URL (the reference allows
// 1 to 32 characters, and the simulator's and tests' IDs are short); a
// project ID must be the real thing, since what people put there by
// mistake (a region, a project name) is well formed too.
var (
	hexRun    = regexp.MustCompile(`[0-9A-Fa-f]+`)
	hexID     = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)
	uuidForm  = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	regionish = regexp.MustCompile(`^[a-z]{2}-[a-z]+-[0-9]+$`)
)

// embeddedIDs returns the runs of exactly 32 hex characters in s (as in a
// console URL), and the one that follows after, if one does ("task/" for
// the task ID in a URL that also holds the project's).
func embeddedIDs(s, after string) (ids []string, preferred string) {
	for _, loc := range hexRun.FindAllStringIndex(s, -1) {
		if loc[1]-loc[0] != 32 {
			continue
		}
		id := s[loc[0]:loc[1]]
		ids = append(ids, id)
		if strings.HasSuffix(strings.ToLower(s[:loc[0]]), after) {
			preferred = id
		}
	}
	return ids, preferred
}

// didYouMean refuses value, which holds IDs, with the one it likely is.
// The ID is a label value: the file should say what is exported, so it is
// not taken out silently.
func didYouMean(path, value, aWhat, after string) error {
	ids, preferred := embeddedIDs(value, after)
	switch {
	case len(ids) == 1:
		preferred = ids[0]
	case preferred == "":
		return fieldErr(path, "%q: not %s; it holds %d IDs (%s): give the one meant, alone",
			shorten(value), aWhat, len(ids), strings.Join(ids, ", "))
	}
	return fieldErr(path, "%q: not %s; did you mean %s?", shorten(value), aWhat, preferred)
}

// checkTaskID checks a task ID at path: safe in a URL, and not a URL or
// other text around an ID.
func checkTaskID(path, id string) error {
	if !hexID.MatchString(id) {
		if ids, _ := embeddedIDs(id, "task/"); len(ids) > 0 {
			return didYouMean(path, id, "a task ID", "task/")
		}
	}
	return checkID(path, id, MaxTaskIDLength)
}

// projectKind is one of the two kinds of project ID the file holds.
type projectKind struct {
	a, what, where, after string
}

var (
	codeArtsProject = projectKind{"a", "CodeArts project ID", "it is in the project's URL in the CodeArts console", "project/"}
	iamProject      = projectKind{"an", "IAM project ID", "My Credentials > API Credentials in the console lists it per region", "project/"}
)

// CheckProjectID reports whether id, the value of the key at path (such as
// "discovery.projects[0]"), is a CodeArts project ID: 32 hex characters.
// A value that is not says what it looks like. The error is a *FieldError:
// Parse adds the key's line.
func CheckProjectID(path, id string) error {
	return checkProjectID(path, id, codeArtsProject)
}

func checkProjectID(path, id string, k projectKind) error {
	switch {
	case id == "":
		return fieldErr(path, "missing or empty")
	case hexID.MatchString(id):
		return nil
	case uuidForm.MatchString(id):
		return fieldErr(path, "%q looks like a UUID; the %s is 32 hex characters, without dashes: did you mean %s?",
			id, k.what, strings.ReplaceAll(id, "-", ""))
	case regionish.MatchString(id):
		return fieldErr(path, "%q looks like a region name; the %s is 32 hex characters (%s)", id, k.what, k.where)
	}
	if ids, _ := embeddedIDs(id, k.after); len(ids) > 0 {
		return didYouMean(path, id, k.a+" "+k.what, k.after)
	}
	if hexRun.FindString(id) == id {
		return fieldErr(path, "%q is %d hex characters; the %s is 32 (%s)", shorten(id), len(id), k.what, k.where)
	}
	return fieldErr(path, "%q: not %s %s, which is 32 hex characters (%s)", shorten(id), k.a, k.what, k.where)
}
