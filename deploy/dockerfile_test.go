package deploy_test

import (
	"encoding/json"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// No Docker engine runs where the tests run, so these tests read the
// Dockerfile, the Makefile and .dockerignore instead of building the image.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	keyword string // upper case: FROM, RUN, ...
	args    string
}

// stage is one FROM and the instructions after it.
type stage struct {
	from         string
	instructions []instruction
}

// dockerfileStages splits the Dockerfile into stages. It understands what
// this repository's Dockerfile uses: comments, backslash continuations and
// FROM ... AS.
func dockerfileStages(t *testing.T) []stage {
	t.Helper()
	var (
		stages  []stage
		pending string
	)
	for _, line := range strings.Split(string(readFile(t, filepath.Join(repoRoot, "Dockerfile"))), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || trimmed == "" && pending == "" {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending += rest + " "
			continue
		}
		keyword, args, _ := strings.Cut(pending+trimmed, " ")
		pending = ""
		in := instruction{strings.ToUpper(keyword), strings.TrimSpace(args)}
		switch {
		case in.keyword == "FROM":
			stages = append(stages, stage{from: strings.Fields(in.args)[0]})
		case len(stages) == 0:
			t.Fatalf("Dockerfile: %s before the first FROM", in.keyword)
		default:
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a final one", len(stages))
	}
	return stages
}

// TestDockerfileBuildRunsMakeRelease checks that the build stage builds
// the binary with `make release`, the one release build line, handing it
// the version information from build arguments, on the Go of go.mod.
func TestDockerfileBuildRunsMakeRelease(t *testing.T) {
	build := dockerfileStages(t)[0]
	var runs, args []string
	for _, in := range build.instructions {
		switch in.keyword {
		case "RUN":
			runs = append(runs, in.args)
		case "ARG":
			name, _, _ := strings.Cut(in.args, "=")
			args = append(args, name)
		}
	}
	var release []string
	for _, run := range runs {
		if strings.Contains(run, "go build") {
			t.Errorf("Dockerfile: RUN %s: the release build is `make release`, not a go build of its own", run)
		}
		if words := strings.Fields(strings.ReplaceAll(run, `"`, "")); len(words) >= 2 && words[0] == "make" && words[1] == "release" {
			release = words[2:]
		}
	}
	if release == nil {
		t.Fatalf("Dockerfile: no RUN make release in the build stage (RUNs: %q)", runs)
	}
	for _, name := range []string{"VERSION", "REVISION", "BRANCH"} {
		if !slices.Contains(args, name) {
			t.Errorf("Dockerfile: the build stage has no ARG %s", name)
		}
		if want := name + "=${" + name + "}"; !slices.Contains(release, want) {
			t.Errorf("Dockerfile: make release %q does not pass %s", release, want)
		}
	}

	goMod := string(readFile(t, filepath.Join(repoRoot, "go.mod")))
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(goMod)
	if goVersion == nil {
		t.Fatal("go.mod: no go directive")
	}
	if !strings.HasPrefix(build.from, "golang:"+goVersion[1]) {
		t.Errorf("Dockerfile: the build stage uses %s, want golang:%s to match go.mod", build.from, goVersion[1])
	}

	// The release build is static and stamps the version.
	makefile := string(readFile(t, filepath.Join(repoRoot, "Makefile")))
	if !regexp.MustCompile(`(?m)^release:.*\n\t\$\(RELEASE_ENV\) \$\(GO\) build \$\(RELEASE_FLAGS\) -o \$\(BINARY\) \.$`).MatchString(makefile) {
		t.Error("Makefile: no release target running $(RELEASE_ENV) $(GO) build $(RELEASE_FLAGS) -o $(BINARY) .")
	}
	vars := makeVariables(makefile)
	if !strings.Contains(vars["RELEASE_ENV"], "CGO_ENABLED=0") {
		t.Errorf("Makefile: RELEASE_ENV %q lacks CGO_ENABLED=0", vars["RELEASE_ENV"])
	}
	if !strings.Contains(vars["RELEASE_FLAGS"], "$(PKG).Version=$(VERSION)") || vars["PKG"] != "github.com/prometheus/common/version" {
		t.Errorf("Makefile: RELEASE_FLAGS %q do not set github.com/prometheus/common/version.Version", vars["RELEASE_FLAGS"])
	}
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

// TestDockerfileFinalImage checks the image the exporter runs in: minimal,
// non-root, the port exposed, the documented configuration path, and the
// binary that make release wrote.
func TestDockerfileFinalImage(t *testing.T) {
	stages := dockerfileStages(t)
	build, final := stages[0], stages[1]
	// distroless/static carries CA certificates and a nonroot user; scratch
	// would need both copied in.
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile: final image %s, want gcr.io/distroless/static*", final.from)
	}
	workdir := "/"
	for _, in := range build.instructions {
		if in.keyword == "WORKDIR" {
			workdir = path.Join(workdir, in.args)
		}
	}
	built := path.Join(workdir, makeVariables(string(readFile(t, filepath.Join(repoRoot, "Makefile"))))["BINARY"])
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
			if f := strings.Fields(in.args); len(f) == 3 && strings.HasPrefix(f[0], "--from=") {
				if f[1] != built {
					t.Errorf("Dockerfile: the final stage copies %s, but make release writes %s", f[1], built)
				}
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
	if want := []string{binary, "--config.file=" + configPath}; !slices.Equal(entrypoint, want) {
		t.Errorf("Dockerfile: ENTRYPOINT %q, want %q", entrypoint, want)
	}
}

// TestDockerignore checks that the build context has what the build needs
// (VERSION is embedded, the Makefile is the build) and no .git: the version
// comes in as build arguments.
func TestDockerignore(t *testing.T) {
	var ignore []string
	for _, line := range strings.Split(string(readFile(t, filepath.Join(repoRoot, ".dockerignore"))), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignore = append(ignore, line)
		}
	}
	if !slices.Contains(ignore, ".git") {
		t.Error(".dockerignore does not exclude .git")
	}
	for _, needed := range []string{"go.mod", "go.sum", "*.go", "main.go", "VERSION", "Makefile"} {
		for _, pattern := range ignore {
			if ok, _ := filepath.Match(strings.TrimPrefix(pattern, "/"), needed); ok || pattern == needed {
				t.Errorf(".dockerignore excludes %s (pattern %s), which the build needs", needed, pattern)
			}
		}
	}
}
