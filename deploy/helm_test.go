package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"
)

const chartDir = "helm/codearts-check-exporter"

// renderChart runs `helm template` on the chart with the given extra
// arguments and returns its documents by kind.
func renderChart(t *testing.T, args ...string) map[string][][]byte {
	t.Helper()
	helm := requireTool(t, "helm")
	var stderr bytes.Buffer
	cmd := exec.Command(helm, append([]string{"template", "cce", chartDir}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %s: %v\n%s%s", strings.Join(args, " "), err, &stderr, out)
	}
	docs := map[string][][]byte{}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if doc == nil {
			continue
		}
		b, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		kind, _ := doc["kind"].(string)
		docs[kind] = append(docs[kind], b)
	}
	return docs
}

func decodeOne(t *testing.T, docs map[string][][]byte, kind string, v any) {
	t.Helper()
	if len(docs[kind]) != 1 {
		t.Fatalf("rendered %d %s, want 1", len(docs[kind]), kind)
	}
	if err := yaml.Unmarshal(docs[kind][0], v); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
}

// TestChartRulesAreAlertsYML: the chart's PrometheusRule inserts
// files/alerts.yml, which must be alerts.yml byte for byte (Helm cannot
// read files outside the chart, so it keeps a copy).
func TestChartRulesAreAlertsYML(t *testing.T) {
	if !bytes.Equal(readFile(t, filepath.Join(chartDir, "files", "alerts.yml")), readFile(t, "prometheus/alerts.yml")) {
		t.Errorf("%s/files/alerts.yml differs from prometheus/alerts.yml: cp deploy/prometheus/alerts.yml deploy/%s/files/alerts.yml", chartDir, chartDir)
	}
}

// TestChartVersion: the chart's appVersion, hence its default image tag,
// is the exporter's VERSION.
func TestChartVersion(t *testing.T) {
	var c struct {
		Name       string `yaml:"name"`
		AppVersion string `yaml:"appVersion"`
	}
	loadYAML(t, filepath.Join(chartDir, "Chart.yaml"), &c)
	version := strings.TrimSpace(string(readFile(t, filepath.Join(repoRoot, "VERSION"))))
	if c.AppVersion != version || c.Name != filepath.Base(chartDir) {
		t.Errorf("Chart.yaml: name %s appVersion %s, want %s and %s (the VERSION file)", c.Name, c.AppVersion, filepath.Base(chartDir), version)
	}
}

// TestChartDefaults renders the chart with its default values: one
// Deployment held to the same standards as deployment.yml, the example
// configuration valid, the Secret mounted but not created, the image the
// placeholder, and no operator resources.
func TestChartDefaults(t *testing.T) {
	docs := renderChart(t)
	var (
		dep workload
		cm  configMap
		svc service
	)
	decodeOne(t, docs, "Deployment", &dep)
	decodeOne(t, docs, "ConfigMap", &cm)
	decodeOne(t, docs, "Service", &svc)
	for _, kind := range []string{"Secret", "StatefulSet", "ServiceMonitor", "PrometheusRule"} {
		if len(docs[kind]) != 0 {
			t.Errorf("default values render %d %s, want none", len(docs[kind]), kind)
		}
	}
	version := strings.TrimSpace(string(readFile(t, filepath.Join(repoRoot, "VERSION"))))
	_, files := checkWorkload(t, "chart Deployment", dep, imagePlaceholder+":v"+version, cm, secretRef{Name: secretName, Keys: []string{"password"}})
	if dep.Spec.Replicas != 1 {
		t.Errorf("chart Deployment: %d replicas, want 1", dep.Spec.Replicas)
	}
	key, _ := strings.CutPrefix(files[configPath], "configmap:")
	checkExampleConfig(t, cm.Data[key])
	if !subset(svc.Spec.Selector, dep.Spec.Template.Metadata.Labels) {
		t.Error("chart Service: selector does not match the Deployment's pods")
	}
}

// TestChartShardedWithOperator renders the chart as CI's values file does:
// three shards, ServiceMonitor and PrometheusRule on.
func TestChartShardedWithOperator(t *testing.T) {
	docs := renderChart(t, "-f", filepath.Join(chartDir, "ci", "sharded-operator-values.yaml"))
	var (
		sts workload
		cm  configMap
		sm  serviceMonitor
	)
	decodeOne(t, docs, "StatefulSet", &sts)
	decodeOne(t, docs, "ConfigMap", &cm)
	decodeOne(t, docs, "ServiceMonitor", &sm)
	if len(docs["Deployment"]) != 0 {
		t.Error("shards: 3 renders a Deployment beside the StatefulSet")
	}
	checkWorkload(t, "chart StatefulSet", sts, "registry.example.com/team/codearts-check-exporter:v0.1.0", cm, secretRef{Name: secretName, Keys: []string{"password"}})
	c := sts.Spec.Template.Spec.Containers[0]
	if sts.Spec.Replicas != 3 || !contains(c.Args, "--total-shards=3") || !contains(c.Args, "--shard=$(SHARD)") {
		t.Errorf("chart StatefulSet: replicas %d, args %q; want 3 replicas, --shard=$(SHARD) and --total-shards=3", sts.Spec.Replicas, c.Args)
	}
	var env struct {
		Spec struct {
			ServiceName string `yaml:"serviceName"`
			Template    struct {
				Spec struct {
					Containers []struct {
						Env []struct {
							Name      string `yaml:"name"`
							ValueFrom struct {
								FieldRef struct {
									FieldPath string `yaml:"fieldPath"`
								} `yaml:"fieldRef"`
							} `yaml:"valueFrom"`
						} `yaml:"env"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	decodeOne(t, docs, "StatefulSet", &env)
	e := env.Spec.Template.Spec.Containers[0].Env
	if len(e) != 1 || e[0].Name != "SHARD" || e[0].ValueFrom.FieldRef.FieldPath != "metadata.labels['apps.kubernetes.io/pod-index']" {
		t.Errorf("chart StatefulSet: env %+v, want SHARD from the pod-index label", e)
	}

	// Two Services: the one scraped, and the headless one the StatefulSet
	// names, which the ServiceMonitor must not select (or every shard
	// would be scraped twice).
	var scraped, headless int
	for _, b := range docs["Service"] {
		var s service
		var ip struct {
			Spec struct {
				ClusterIP string `yaml:"clusterIP"`
			} `yaml:"spec"`
		}
		if err := yaml.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, &ip); err != nil {
			t.Fatal(err)
		}
		selected := subset(sm.Spec.Selector.MatchLabels, s.Metadata.Labels)
		switch {
		case ip.Spec.ClusterIP == "None" && s.Metadata.Name == env.Spec.ServiceName && !selected:
			headless++
		case ip.Spec.ClusterIP != "None" && selected && subset(s.Spec.Selector, sts.Spec.Template.Metadata.Labels):
			scraped++
		default:
			t.Errorf("chart Service %s: neither the scraped Service nor the StatefulSet's headless one", s.Metadata.Name)
		}
	}
	if scraped != 1 || headless != 1 {
		t.Errorf("chart: %d scraped and %d headless Services, want 1 and 1", scraped, headless)
	}

	if len(sm.Spec.Endpoints) != 1 || !sm.Spec.Endpoints[0].HonorLabels || sm.Metadata.Labels["release"] != "prometheus" {
		t.Fatalf("chart ServiceMonitor: %+v, want one endpoint with honorLabels and the additional label release=prometheus", sm)
	}
	job := ""
	for _, r := range sm.Spec.Endpoints[0].Relabelings {
		if r.TargetLabel == "job" {
			job = r.Replacement
		}
	}
	if job != jobName {
		t.Errorf("chart ServiceMonitor: job %q, want %q (what the alerts select)", job, jobName)
	}

	var plain, pr struct {
		Groups any `yaml:"groups"`
		Spec   struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
	}
	loadYAML(t, "prometheus/alerts.yml", &plain)
	decodeOne(t, docs, "PrometheusRule", &pr)
	if plain.Groups == nil || !reflect.DeepEqual(plain.Groups, pr.Spec.Groups) {
		t.Error("the chart's PrometheusRule spec.groups differ from prometheus/alerts.yml")
	}
}

// TestChartWithoutSecret: existingSecret.name "" mounts no Secret.
func TestChartWithoutSecret(t *testing.T) {
	docs := renderChart(t, "-f", filepath.Join(chartDir, "ci", "no-secret-values.yaml"))
	var dep workload
	decodeOne(t, docs, "Deployment", &dep)
	for _, v := range dep.Spec.Template.Spec.Volumes {
		for _, src := range v.Projected.Sources {
			if src.Secret != nil {
				t.Errorf("existingSecret.name \"\" still mounts Secret %s", src.Secret.Name)
			}
		}
	}
	if c := dep.Spec.Template.Spec.Containers[0]; !contains(c.Args, "--demo") {
		t.Errorf("extraArgs not passed: args %q", c.Args)
	}
}

// TestChartRefusesBadValues: values that cannot work stop the render with
// a message that says what to set.
func TestChartRefusesBadValues(t *testing.T) {
	helm := requireTool(t, "helm")
	for _, c := range []struct{ set, want string }{
		{"shards=0", "shards: 0, want 1 (one Deployment) or more (a StatefulSet of that many shards)"},
		{"image.repository=", "image.repository is empty: build the image, push it to your registry and set image.repository"},
		{"config=", "config is empty: give the whole configuration file (--set-file config=./codearts_check_exporter.yml) or existingConfigMap"},
		{"config=region: [cn-north-4", "config is not valid YAML: "},
		{"webConfig=basic_auth_users: [", "webConfig is not valid YAML: "},
	} {
		out, err := exec.Command(helm, "template", "cce", chartDir, "--set", c.set).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("helm template --set %s: err %v, output %s; want a failure saying %q", c.set, err, out, c.want)
		}
	}
}

// renderNotes renders the chart's NOTES.txt with the given extra arguments
// and returns it as `helm install` prints it. helm template leaves NOTES.txt
// out and a client-side install still asks a cluster for its version, so
// a copy of the chart renders it through tpl, in the same context.
func renderNotes(t *testing.T, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), filepath.Base(chartDir))
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	notes := readFile(t, filepath.Join(chartDir, "templates", "NOTES.txt"))
	if err := os.WriteFile(filepath.Join(dir, "notes-for-test.txt"), notes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "templates", "notes-for-test.yaml"), []byte(`notes: {{ tpl (.Files.Get "notes-for-test.txt") . | toJson }}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	helm := requireTool(t, "helm")
	var stderr bytes.Buffer
	cmd := exec.Command(helm, append([]string{"template", "cce", dir, "--namespace", "monitoring", "--show-only", "templates/notes-for-test.yaml"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rendering NOTES.txt %s: %v\n%s", strings.Join(args, " "), err, &stderr)
	}
	var doc struct {
		Notes string `yaml:"notes"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil || doc.Notes == "" {
		t.Fatalf("rendering NOTES.txt %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return doc.Notes
}

// TestChartNotes: every command the notes print works when run as printed:
// port-forward, which runs until stopped, is a command of its own, never
// chained to the curl that needs it; the curl matches the web
// configuration; the Secret's keys are the values'.
func TestChartNotes(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"default values", nil, []string{
			"  kubectl -n monitoring port-forward svc/cce-codearts-check-exporter 10139\n",
			"  curl http://localhost:10139/metrics\n",
			"  kubectl -n monitoring create secret generic codearts-check-exporter --from-file=password=./password\n",
			"  kubectl -n monitoring logs deploy/cce-codearts-check-exporter\n",
		}},
		{"AK/SK", []string{"-f", filepath.Join(chartDir, "ci", "aksk-values.yaml")}, []string{
			"  kubectl -n monitoring create secret generic codearts-check-exporter --from-file=secret_key=./secret_key\n",
		}},
		{"basic auth and TLS", []string{"-f", filepath.Join(chartDir, "ci", "web-config-values.yaml")}, []string{
			"  curl -k https://localhost:10139/metrics -u prometheus\n",
		}},
		{"shards", []string{"--set", "shards=2"}, []string{
			"  kubectl -n monitoring logs statefulset/cce-codearts-check-exporter\n",
		}},
	} {
		notes := renderNotes(t, c.args...)
		for _, w := range c.want {
			if !strings.Contains(notes, w) {
				t.Errorf("%s: the notes lack %q:\n%s", c.name, w, notes)
			}
		}
		for _, line := range strings.Split(notes, "\n") {
			if strings.Contains(line, "port-forward") && (strings.Contains(line, "&&") || strings.Contains(line, "curl") || strings.Contains(line, ";")) {
				t.Errorf("%s: %q chains port-forward, which does not return, to another command", c.name, line)
			}
		}
	}
}

// TestChartReadme: `helm show readme` prints the chart's README, whose
// examples are the ci/ values files that the tests and the offline
// validator render, byte for byte (less their comment header).
func TestChartReadme(t *testing.T) {
	helm := requireTool(t, "helm")
	out, err := exec.Command(helm, "show", "readme", chartDir).Output()
	if err != nil {
		t.Fatalf("helm show readme: %v", err)
	}
	readme := string(readFile(t, filepath.Join(chartDir, "README.md")))
	if len(readme) < 1000 || strings.TrimSpace(string(out)) != strings.TrimSpace(readme) {
		t.Fatalf("helm show readme prints %d bytes, want the chart's README.md (%d bytes)", len(out), len(readme))
	}
	for _, name := range []string{"aksk-values.yaml", "la-north-2-values.yaml", "web-config-values.yaml"} {
		body := string(readFile(t, filepath.Join(chartDir, "ci", name)))
		for strings.HasPrefix(body, "#") {
			_, body, _ = strings.Cut(body, "\n")
		}
		if !strings.Contains(readme, "```yaml\n"+body+"```\n") {
			t.Errorf("README.md does not show ci/%s (without its comment header) as a yaml block:\n%s", name, body)
		}
	}
}
