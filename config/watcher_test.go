package config

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const (
	watchedHead  = "region: cn-north-4\nauth:\n  iam:\n    domain_name: acme\n    username: monitor\n    password: s3cr3t\ntasks:\n"
	watchedTaskA = "  - id: 3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b\n"
	watchedTaskB = "  - id: 8c2e4a6f0b1d3e5a7c9f2b4d6e8a0c1d\n"
	watchedBadID = "  - id: ../etc\n"
)

// watched is a Watcher of a file in force in a SafeConfig, reloading as
// main does, with its log in a buffer and its reloads counted.
type watched struct {
	t       *testing.T
	file    string
	sc      *SafeConfig
	w       *Watcher
	log     *bytes.Buffer
	reloads int
}

func newWatched(t *testing.T, file, content string) *watched {
	t.Helper()
	writeConfig(t, file, content)
	sc := NewSafeConfig(prometheus.NewRegistry())
	if _, err := sc.ReloadConfig(file); err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	w, err := NewWatcher(sc, file, time.Minute, slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil || w == nil {
		t.Fatalf("NewWatcher: %v, %v", w, err)
	}
	return &watched{t: t, file: file, sc: sc, w: w, log: log}
}

func (x *watched) reload() error {
	x.reloads++
	_, err := x.sc.ReloadConfig(x.file)
	return err
}

// check polls once and returns how many reloads it made.
func (x *watched) check() int {
	before := x.reloads
	x.w.check(x.reload)
	return x.reloads - before
}

func (x *watched) tasks() int { return len(x.sc.Get().Tasks) }

func (x *watched) successful() float64 { return testutil.ToFloat64(x.sc.reloadSuccess) }

func writeConfig(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An unchanged file is not reloaded; a changed one is, once, and is then
// in force.
func TestWatcherReloadsOnlyAChangedFile(t *testing.T) {
	x := newWatched(t, filepath.Join(t.TempDir(), "config.yml"), watchedHead+watchedTaskA)
	for i := 0; i < 3; i++ {
		if n := x.check(); n != 0 {
			t.Fatalf("check %d of an unchanged file reloaded %d times, want 0", i, n)
		}
	}
	writeConfig(t, x.file, watchedHead+watchedTaskA+watchedTaskB)
	if n := x.check(); n != 1 || x.tasks() != 2 {
		t.Fatalf("after an edit: %d reloads and %d tasks in force, want 1 and 2", n, x.tasks())
	}
	if n := x.check(); n != 0 {
		t.Errorf("the next check reloaded %d times, want 0: the new file is in force", n)
	}
	if !strings.Contains(x.log.String(), `msg="Configuration reloaded"`) {
		t.Errorf("the reload is not logged:\n%s", x.log)
	}
}

// A file that fails to load is refused: the configuration in force stays,
// the reload metric says it failed, and the failure is logged once per
// content, however many intervals pass; it is tried again meanwhile, so
// that going back to the file in force clears the failure.
func TestWatcherRefusesAnInvalidFileAndLogsItOnce(t *testing.T) {
	x := newWatched(t, filepath.Join(t.TempDir(), "config.yml"), watchedHead+watchedTaskA)
	failures := func() int { return strings.Count(x.log.String(), "Reload failed") }

	writeConfig(t, x.file, watchedHead+watchedBadID)
	for i := 0; i < 3; i++ {
		if n := x.check(); n != 1 {
			t.Fatalf("check %d of a refused file: %d reloads, want 1 (tried at every interval)", i, n)
		}
	}
	if x.tasks() != 1 || x.successful() != 0 {
		t.Errorf("after a refused file: %d tasks in force, last_reload_successful %v; want the old 1 task and 0", x.tasks(), x.successful())
	}
	if got := failures(); got != 1 || !strings.Contains(x.log.String(), "tasks[0].id") {
		t.Errorf("%d failures logged for one refused content, want 1 naming tasks[0].id:\n%s", got, x.log)
	}

	// Another invalid content is news: logged once more.
	writeConfig(t, x.file, watchedHead+watchedBadID+watchedTaskB)
	x.check()
	x.check()
	if got := failures(); got != 2 {
		t.Errorf("%d failures logged after a second refused content, want 2:\n%s", got, x.log)
	}

	// Back to the content in force: reloaded, since the last load failed.
	writeConfig(t, x.file, watchedHead+watchedTaskA)
	if n := x.check(); n != 1 || x.successful() != 1 {
		t.Errorf("the file in force again: %d reloads, last_reload_successful %v; want 1 and 1", n, x.successful())
	}
	if n := x.check(); n != 0 {
		t.Errorf("then %d reloads, want 0", n)
	}
	// The same invalid content after a success is logged again.
	writeConfig(t, x.file, watchedHead+watchedBadID)
	x.check()
	if got := failures(); got != 3 {
		t.Errorf("%d failures logged after the invalid content came back, want 3:\n%s", got, x.log)
	}
	if strings.Contains(x.log.String(), "s3cr3t") {
		t.Errorf("the log shows the password:\n%s", x.log)
	}
}

// A file that disappears is a failed reload, logged once; the
// configuration in force stays until the file is back.
func TestWatcherMissingFile(t *testing.T) {
	x := newWatched(t, filepath.Join(t.TempDir(), "config.yml"), watchedHead+watchedTaskA)
	if err := os.Remove(x.file); err != nil {
		t.Fatal(err)
	}
	x.check()
	x.check()
	if got := strings.Count(x.log.String(), "Reload failed"); got != 1 || !strings.Contains(x.log.String(), "no such file") {
		t.Errorf("%d failures logged for a missing file, want 1 saying so:\n%s", got, x.log)
	}
	if x.tasks() != 1 || x.successful() != 0 {
		t.Errorf("with the file missing: %d tasks in force, last_reload_successful %v; want 1 and 0", x.tasks(), x.successful())
	}
	writeConfig(t, x.file, watchedHead+watchedTaskA+watchedTaskB)
	if n := x.check(); n != 1 || x.tasks() != 2 || x.successful() != 1 {
		t.Errorf("file back: %d reloads, %d tasks, last_reload_successful %v; want 1, 2, 1", n, x.tasks(), x.successful())
	}
}

// kubeletDir lays out dir as kubelet mounts a ConfigMap: config.yml is a
// symlink to ..data/config.yml, ..data a symlink to a timestamped
// directory. swap writes a new timestamped directory and renames a new
// ..data over the old one, the atomic update that no watch on config.yml
// sees.
type kubeletDir struct {
	t   *testing.T
	dir string
	gen int
}

func newKubeletDir(t *testing.T, content string) *kubeletDir {
	k := &kubeletDir{t: t, dir: t.TempDir()}
	k.swap(content)
	if err := os.Symlink(filepath.Join("..data", "config.yml"), filepath.Join(k.dir, "config.yml")); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *kubeletDir) swap(content string) {
	k.t.Helper()
	k.gen++
	ts := "..2026_12_06_18_00_0" + string(rune('0'+k.gen))
	if err := os.Mkdir(filepath.Join(k.dir, ts), 0o755); err != nil {
		k.t.Fatal(err)
	}
	writeConfig(k.t, filepath.Join(k.dir, ts, "config.yml"), content)
	tmp := filepath.Join(k.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		k.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(k.dir, "..data")); err != nil {
		k.t.Fatal(err)
	}
}

// A ConfigMap update, a swap of ..data, is seen like any edit.
func TestWatcherSeesAConfigMapSymlinkSwap(t *testing.T) {
	k := newKubeletDir(t, watchedHead+watchedTaskA)
	x := newWatched(t, filepath.Join(k.dir, "config.yml"), watchedHead+watchedTaskA)
	if n := x.check(); n != 0 {
		t.Fatalf("unchanged ConfigMap: %d reloads, want 0", n)
	}
	k.swap(watchedHead + watchedTaskA + watchedTaskB)
	if n := x.check(); n != 1 || x.tasks() != 2 {
		t.Errorf("after the ..data swap: %d reloads, %d tasks in force; want 1 and 2", n, x.tasks())
	}
}

// 0s is off, a negative interval is refused naming the flag, and one below
// the minimum is raised to it with a warning.
func TestNewWatcherInterval(t *testing.T) {
	sc := NewSafeConfig(prometheus.NewRegistry())
	log := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	if w, err := NewWatcher(sc, "config.yml", 0, logger); w != nil || err != nil {
		t.Errorf("NewWatcher(0s) = %v, %v; want nil, nil (off)", w, err)
	}
	if _, err := NewWatcher(sc, "config.yml", -5*time.Second, logger); err == nil || !strings.Contains(err.Error(), "--config.auto-reload-interval=-5s") || !strings.Contains(err.Error(), "negative") {
		t.Errorf("NewWatcher(-5s) error %v, want one naming the flag and saying negative", err)
	}
	w, err := NewWatcher(sc, "config.yml", 100*time.Millisecond, logger)
	if err != nil || w.interval != MinAutoReloadInterval || !strings.Contains(log.String(), "below the minimum") {
		t.Errorf("NewWatcher(100ms): interval %v, %v, log %q; want %v and a warning", w.interval, err, log, MinAutoReloadInterval)
	}
	if w, _ := NewWatcher(sc, "config.yml", 30*time.Second, logger); w.interval != 30*time.Second {
		t.Errorf("NewWatcher(30s): interval %v", w.interval)
	}
}

// Start checks the file at each tick, and its stop returns once the loop
// has ended; a nil Watcher (auto-reload off) starts nothing.
func TestWatcherStartChecksAtEachTick(t *testing.T) {
	x := newWatched(t, filepath.Join(t.TempDir(), "config.yml"), watchedHead+watchedTaskA)
	x.w.interval = time.Millisecond // below the minimum NewWatcher allows, to keep the test short
	reloaded := make(chan struct{}, 1)
	stop := x.w.Start(func() error {
		err := x.reload()
		if x.tasks() == 2 {
			select {
			case reloaded <- struct{}{}:
			default:
			}
		}
		return err
	})
	// Renamed into place, so that no tick reads the file half written.
	next := x.file + ".next"
	writeConfig(t, next, watchedHead+watchedTaskA+watchedTaskB)
	if err := os.Rename(next, x.file); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reloaded:
	case <-time.After(stdkit.Patience):
		t.Fatal("the changed file was not put in force")
	}
	stop() // returns: a test that hangs here has lost the stop
	var nilWatcher *Watcher
	nilWatcher.Start(x.reload)()
}
