package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The README sends newcomers to docs/ and the pages send them to each
// other and back, often to a section: a page renamed or a heading reworded
// would leave a link that lands nowhere. So every relative link of these
// files must name a file or directory that exists and, with a #fragment
// into a Markdown file, a heading that file has (as GitHub makes anchors).
// And every page of docs/ must be linked from the README, so that none is
// left where nobody finds it.
var linkedDocs = []string{"README.md", "docs/*.md", "deploy/README.md", "BENCHMARKS.md"}

func TestDocsLinks(t *testing.T) {
	var files []string
	for _, glob := range linkedDocs {
		files = append(files, globDocs(t, glob)...)
	}
	checked := 0
	for _, file := range files {
		problems, n := linkProblems(t, file)
		for _, p := range problems {
			t.Error(p)
		}
		checked += n
	}
	// The README alone links more than this; none found means the link
	// syntax is no longer seen.
	if checked < 30 {
		t.Errorf("checked %d relative links in %v; the files have more: is the link syntax still [text](target)?", checked, files)
	}
	t.Logf("%d relative links checked in %d files", checked, len(files))

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, l := range mdLinks(string(readme)) {
		path, _, _ := strings.Cut(l.target, "#")
		targets[filepath.Clean(path)] = true
	}
	for _, page := range globDocs(t, "docs/*.md") {
		if !targets[page] {
			t.Errorf("README.md does not link %s", page)
		}
	}
}

// The check finds a missing file, a missing heading in another file and
// in the same one, and leaves alone what resolves, external links, and
// links in code.
func TestDocsLinksCatchBroken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/page.md", "# Page\n\n## Access key and secret key (`auth.aksk`)\n\n## Twice\n\n## Twice\n\n```sh\n# Not a heading\n```\n")
	write("README.md", "# Top\n\n"+
		"[ok](docs/page.md) [ok](docs/page.md#access-key-and-secret-key-authaksk) [ok](docs/page.md#twice-1) [ok](#top) [ok](docs/)\n"+ // line 3
		"[web](https://example.com/x.md#nowhere) `[code](nowhere.md)`\n"+
		"[gone](docs/gone.md)\n"+ // line 5
		"[no heading](docs/page.md#not-a-heading)\n"+ // line 6
		"[no heading here](#nowhere) [third twice](docs/page.md#twice-2)\n"+ // line 7
		"```md\n[in a fence](nowhere.md)\n```\n")
	problems, n := linkProblems(t, filepath.Join(dir, "README.md"))
	if n != 9 {
		t.Errorf("checked %d links, want 9", n)
	}
	want := []string{
		"README.md:5: [gone](docs/gone.md): no such file",
		"README.md:6: [no heading](docs/page.md#not-a-heading): docs/page.md has no heading with anchor #not-a-heading",
		"README.md:7: [no heading here](#nowhere): README.md has no heading with anchor #nowhere",
		"README.md:7: [third twice](docs/page.md#twice-2): docs/page.md has no heading with anchor #twice-2",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	for i, w := range want {
		if !strings.HasSuffix(problems[i], w) {
			t.Errorf("problem %d:\n got %s\nwant …%s", i, problems[i], w)
		}
	}
}

type mdLink struct {
	line         int
	text, target string
}

var (
	linkRe       = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCodeRe = regexp.MustCompile("`[^`]*`")
	headingRe    = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// mdLinks returns the links of md outside fenced and inline code.
func mdLinks(md string) []mdLink {
	var out []mdLink
	for n, line := range outsideFences(md) {
		if line == "" {
			continue
		}
		for _, m := range linkRe.FindAllStringSubmatch(inlineCodeRe.ReplaceAllString(line, ""), -1) {
			out = append(out, mdLink{line: n + 1, text: m[1], target: m[2]})
		}
	}
	return out
}

// outsideFences returns md's lines with those of fenced code blocks (and
// their fences) blanked, so that line numbers stay.
func outsideFences(md string) []string {
	lines := strings.Split(md, "\n")
	in := false
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimLeft(line, " "), "```") {
			in = !in
			lines[i] = ""
			continue
		}
		if in {
			lines[i] = ""
		}
	}
	return lines
}

// anchors returns the anchors GitHub gives md's headings: lower case,
// punctuation dropped, spaces as '-', and "-1", "-2"... on repeats.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range outsideFences(md) {
		m := headingRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		// A link in a heading is anchored by its text.
		text := linkRe.ReplaceAllString(m[1], "$1")
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if k := seen[a]; k > 0 {
			out[fmt.Sprintf("%s-%d", a, k)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// linkProblems checks the relative links of file and returns what is
// wrong, each naming the file and line, and how many links it checked.
func linkProblems(t *testing.T, file string) (problems []string, checked int) {
	t.Helper()
	md, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cache := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := cache[path]; ok {
			return a
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cache[path] = anchors(string(data))
		return cache[path]
	}
	for _, l := range mdLinks(string(md)) {
		if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
			continue
		}
		checked++
		where := fmt.Sprintf("%s:%d: [%s](%s)", file, l.line, l.text, l.target)
		path, fragment, _ := strings.Cut(l.target, "#")
		target := file
		if path != "" {
			target = filepath.Join(filepath.Dir(file), path)
		}
		info, err := os.Stat(target)
		if err != nil {
			problems = append(problems, where+": no such file")
			continue
		}
		if fragment == "" || info.IsDir() || !strings.HasSuffix(target, ".md") {
			continue
		}
		if !anchorsOf(target)[fragment] {
			rel, _ := filepath.Rel(filepath.Dir(file), target)
			problems = append(problems, fmt.Sprintf("%s: %s has no heading with anchor #%s", where, filepath.ToSlash(rel), fragment))
		}
	}
	return problems, checked
}
