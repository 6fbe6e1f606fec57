package deploy_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	keyword string // upper case: FROM, RUN, ...
	args    string
}

// stage is one FROM and the instructions after it.
type stage struct {
	from, name   string
	instructions []instruction
}

// parseDockerfile splits a Dockerfile into stages. It understands what
// this repository's Dockerfile uses: comments, backslash continuations
// (comment lines inside them are dropped, as Docker does), and FROM ... AS.
func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var (
		stages  []stage
		pending string
	)
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending == "") {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			pending += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		full := pending + trimmed
		pending = ""
		keyword, args, _ := strings.Cut(full, " ")
		in := instruction{strings.ToUpper(keyword), strings.TrimSpace(args)}
		if in.keyword == "FROM" {
			f := strings.Fields(in.args)
			s := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.keyword != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", in.keyword)
			}
			continue
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	if pending != "" {
		t.Fatal("Dockerfile ends in a continuation line")
	}
	return stages
}

// shellWords splits a command line into words the way sh does for the
// simple quoting used here: whitespace, \x, '...', and "..." with \" \\
// \$ inside.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var (
		words []string
		word  strings.Builder
		in    bool // inside a word
		quote rune
	)
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(runes) && strings.ContainsRune(`"\$`, runes[i+1]):
				i++
				word.WriteRune(runes[i])
			default:
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '\\' && i+1 < len(runes):
			i++
			word.WriteRune(runes[i])
			in = true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unterminated %c quote in %q", quote, s)
	}
	if in {
		words = append(words, word.String())
	}
	return words
}

// goBuild is a `go build` command line taken apart.
type goBuild struct {
	env   []string // NAME=value assignments before the command, sorted
	flags []string // everything between "build" and the package, minus -o and its value
	pkg   string
}

func (b goBuild) String() string {
	return fmt.Sprintf("env %q, flags %q, package %q", b.env, b.flags, b.pkg)
}

var envAssignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// parseGoBuild takes apart "NAME=value... go build flags... -o out pkg".
func parseGoBuild(t *testing.T, words []string) goBuild {
	t.Helper()
	var b goBuild
	i := 0
	for ; i < len(words) && envAssignment.MatchString(words[i]); i++ {
		b.env = append(b.env, words[i])
	}
	slices.Sort(b.env)
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
		t.Fatalf("not a go build command: %q", words)
	}
	rest := words[i+2:]
	if len(rest) == 0 {
		t.Fatalf("go build without a package: %q", words)
	}
	b.pkg = rest[len(rest)-1]
	for j := 0; j < len(rest)-1; j++ {
		if rest[j] == "-o" {
			j++ // the output path differs by design
			continue
		}
		// -ldflags and similar take one quoted string; the amount of
		// whitespace inside it (continuation lines) does not matter.
		b.flags = append(b.flags, strings.Join(strings.Fields(rest[j]), " "))
	}
	return b
}

// makeVariables reads the simple assignments (=, :=, ?=) of a Makefile.
func makeVariables(text string) map[string]string {
	vars := map[string]string{}
	assignment := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\?=|:=|=)\s*(.*)$`)
	for _, line := range strings.Split(text, "\n") {
		if m := assignment.FindStringSubmatch(line); m != nil {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
	}
	return vars
}

// expandMake expands $(NAME) references with vars, except the names in
// keep, which become ${NAME}: the Dockerfile's build arguments, whose
// values come from outside in both files.
func expandMake(t *testing.T, s string, vars map[string]string, keep []string) string {
	t.Helper()
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	for range 10 { // references nest a few levels at most
		if !ref.MatchString(s) {
			return s
		}
		s = ref.ReplaceAllStringFunc(s, func(m string) string {
			name := ref.FindStringSubmatch(m)[1]
			if slices.Contains(keep, name) {
				return "${" + name + "}"
			}
			v, ok := vars[name]
			if !ok {
				t.Errorf("Makefile: $(%s) is not defined", name)
			}
			return v
		})
	}
	t.Fatalf("Makefile: cannot expand %q", s)
	return ""
}

// TestDockerfileBuildMatchesMakefileRelease checks that the Dockerfile's
// build stage runs exactly the Makefile's release build: same environment,
// same flags, same package. No Docker engine runs where the tests run, so
// this is what keeps `make release` and the image's binary the same.
func TestDockerfileBuildMatchesMakefileRelease(t *testing.T) {
	stages := parseDockerfile(t, string(readFile(t, filepath.Join(repoRoot, "Dockerfile"))))
	var (
		build   *stage
		runLine string
	)
	for i := range stages {
		for _, in := range stages[i].instructions {
			if in.keyword == "RUN" && strings.Contains(in.args, "go build") {
				if build != nil {
					t.Fatal("Dockerfile: more than one RUN with go build")
				}
				build, runLine = &stages[i], in.args
			}
		}
	}
	if build == nil {
		t.Fatal("Dockerfile: no RUN with go build")
	}
	var buildArgs []string
	for _, in := range build.instructions {
		if in.keyword == "ARG" {
			name, _, _ := strings.Cut(in.args, "=")
			buildArgs = append(buildArgs, name)
		}
	}
	// $NAME and ${NAME} are the same to the shell; compare one spelling.
	runLine = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`).ReplaceAllString(runLine, "$${$1}")
	docker := parseGoBuild(t, shellWords(t, runLine))

	makefile := string(readFile(t, filepath.Join(repoRoot, "Makefile")))
	vars := makeVariables(makefile)
	recipe := regexp.MustCompile(`(?m)^release:.*\n\t(.+)$`).FindStringSubmatch(makefile)
	if recipe == nil {
		t.Fatal("Makefile: no release target with a recipe")
	}
	if !strings.Contains(recipe[1], "$(RELEASE_ENV)") || !strings.Contains(recipe[1], "$(RELEASE_FLAGS)") {
		t.Fatalf("Makefile: the release recipe %q does not use $(RELEASE_ENV) and $(RELEASE_FLAGS)", recipe[1])
	}
	release := parseGoBuild(t, shellWords(t, expandMake(t, recipe[1], vars, buildArgs)))

	if !slices.Equal(docker.env, release.env) || !slices.Equal(docker.flags, release.flags) || docker.pkg != release.pkg {
		t.Errorf("the Dockerfile's go build differs from the Makefile's release build:\nDockerfile: %v\nMakefile:   %v", docker, release)
	}
	// Every build argument the flags use is declared in the build stage, so
	// `docker build --build-arg` reaches it.
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(strings.Join(release.flags, " "), -1) {
		if !slices.Contains(buildArgs, m[1]) {
			t.Errorf("the release flags use %s, which is not an ARG of the Dockerfile's build stage", m[1])
		}
	}
	for _, name := range []string{"VERSION", "REVISION", "BRANCH"} {
		if !slices.Contains(buildArgs, name) {
			t.Errorf("Dockerfile: the build stage has no ARG %s", name)
		}
	}
	if !slices.Contains(release.env, "CGO_ENABLED=0") {
		t.Errorf("the release build is not static: env %q lacks CGO_ENABLED=0", release.env)
	}
	if !strings.Contains(strings.Join(release.flags, " "), "github.com/prometheus/common/version.Version=${VERSION}") {
		t.Errorf("the release flags %q do not set github.com/prometheus/common/version.Version", release.flags)
	}

	// The Go toolchain image matches go.mod's go directive.
	goMod := string(readFile(t, filepath.Join(repoRoot, "go.mod")))
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(goMod)
	if goVersion == nil {
		t.Fatal("go.mod: no go directive")
	}
	if !strings.HasPrefix(build.from, "golang:"+goVersion[1]) {
		t.Errorf("Dockerfile: the build stage uses %s, want golang:%s to match go.mod", build.from, goVersion[1])
	}
}

// TestDockerfileFinalImage checks the image the exporter runs in: minimal,
// non-root, the port exposed, the documented configuration path.
func TestDockerfileFinalImage(t *testing.T) {
	stages := parseDockerfile(t, string(readFile(t, filepath.Join(repoRoot, "Dockerfile"))))
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a final one", len(stages))
	}
	final := stages[len(stages)-1]
	// distroless/static carries CA certificates and a nonroot user; scratch
	// would need both copied in.
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile: final image %s, want gcr.io/distroless/static*", final.from)
	}
	var (
		user, binary string
		exposed      []string
		entrypoint   []string
	)
	for _, in := range final.instructions {
		switch in.keyword {
		case "RUN":
			t.Errorf("Dockerfile: RUN %s in the final stage: it has no shell", in.args)
		case "USER":
			user = in.args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) == 3 && strings.HasPrefix(f[0], "--from=") && filepath.Base(f[1]) == "codearts_check_exporter" {
				binary = f[2]
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &entrypoint); err != nil {
				t.Errorf("Dockerfile: ENTRYPOINT must be exec form (a JSON array), so no shell is needed: %v", err)
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" {
		t.Errorf("Dockerfile: USER %q, want a non-root user", user)
	}
	if !slices.Contains(exposed, port) {
		t.Errorf("Dockerfile: EXPOSE %q lacks %s", exposed, port)
	}
	if binary == "" {
		t.Fatal("Dockerfile: the final stage does not copy the binary from the build stage")
	}
	want := []string{binary, "--config.file=" + configPath}
	if !slices.Equal(entrypoint, want) {
		t.Errorf("Dockerfile: ENTRYPOINT %q, want %q", entrypoint, want)
	}

	// .dockerignore keeps .git out: the version comes in as build args.
	var ignore []string
	for _, line := range strings.Split(string(readFile(t, filepath.Join(repoRoot, ".dockerignore"))), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignore = append(ignore, line)
		}
	}
	if !slices.Contains(ignore, ".git") {
		t.Error(".dockerignore does not exclude .git")
	}
	for _, needed := range []string{"go.mod", "go.sum", "*.go", "main.go", "VERSION"} {
		if slices.Contains(ignore, needed) {
			t.Errorf(".dockerignore excludes %s, which the build needs", needed)
		}
	}
}

func TestShellWords(t *testing.T) {
	got := strings.Join(shellWords(t, `A=1 go build -ldflags "-X a.B=${V} -X 'c'" 'x y' z\"`), "|")
	want := `A=1|go|build|-ldflags|-X a.B=${V} -X 'c'|x y|z"`
	if got != want {
		t.Errorf("shellWords: got %s, want %s", got, want)
	}
}
