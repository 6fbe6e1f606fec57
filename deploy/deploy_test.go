// Package deploy_test checks the deployment artifacts under deploy/ and the
// Dockerfile at the top of the repository: that they parse, that they agree
// with each other and with the exporter (port, paths, image, job name,
// rules), and that the PromQL in them works against the exporter's demo
// mode in a real Prometheus server.
//
// Some checks need promtool and prometheus on PATH (`make tools` installs
// them). Where the CI environment variable is set they fail without them;
// elsewhere they are skipped with a message.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The facts every artifact must agree on.
const (
	port       = "10139"
	configDir  = "/etc/codearts_check_exporter"
	configPath = configDir + "/config.yml"
	secretsDir = configDir + "/secrets"
	// imageName is the image's name without a registry: docker-compose.yml
	// builds it locally under this name, and the Kubernetes manifests name
	// it after the placeholder registry imagePlaceholder, which nobody
	// publishes: the user builds the image, pushes it to their registry
	// and sets it (kustomization.yml's images, the chart's image.repository).
	imageName        = "codearts-check-exporter"
	imagePlaceholder = "REGISTRY/" + imageName
	tagPlaceholder   = "TAG"
	// secretName and secretCommand: the Secret with the password is created
	// by this one command, which deploy/README.md gives, and by nothing the
	// manifests or the chart apply.
	secretName    = "codearts-check-exporter"
	secretCommand = "kubectl create secret generic " + secretName + " --from-file=password=./password"
	// jobName is the scrape job's name, which CodeArtsCheckExporterDown
	// selects on.
	jobName = "codearts_check"
	// runbookBase is where the runbook_url annotations point: runbookFile,
	// one heading per alert.
	runbookFile = "docs/runbook.md"
	runbookBase = "https://github.com/codearts-check-exporter/codearts_check_exporter/blob/main/" + runbookFile
)

// The test runs in deploy/, so the repository root is one level up.
const repoRoot = ".."

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.RemoveBinary()
	os.Exit(code)
}

// requireTool returns the path of an executable a test needs. In CI a
// missing tool fails the test, as a skipped check would let a broken
// artifact through; elsewhere the test is skipped.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is not on PATH: run `make tools` (scripts/install-prometheus.sh, scripts/install-helm.sh) and put bin/ on PATH, or see deploy/README.md", name)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// readFile returns a file's content, failing the test if it cannot be read.
// Paths are relative to deploy/.
func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadYAML reads a YAML file into v, ignoring keys v does not know.
func loadYAML(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.Unmarshal(readFile(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestEverythingParses parses every YAML (all documents of it) and JSON file
// under deploy/.
func TestEverythingParses(t *testing.T) {
	var yamlFiles, jsonFiles int
	err := filepath.WalkDir(".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Helm templates are YAML only once rendered; helm_test.go
		// renders them.
		if d.IsDir() && d.Name() == "templates" && filepath.Base(filepath.Dir(filepath.Dir(name))) == "helm" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		switch filepath.Ext(name) {
		case ".yml", ".yaml":
			yamlFiles++
			dec := yaml.NewDecoder(bytes.NewReader(readFile(t, name)))
			for doc := 1; ; doc++ {
				var v any
				err := dec.Decode(&v)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Errorf("%s: document %d: %v", name, doc, err)
					break
				}
				if v == nil {
					t.Errorf("%s: document %d is empty", name, doc)
				}
			}
		case ".json":
			jsonFiles++
			var v any
			if err := json.Unmarshal(readFile(t, name), &v); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Guards against the walk silently finding nothing.
	if yamlFiles < 10 || jsonFiles < 1 {
		t.Errorf("found %d YAML and %d JSON files under deploy/, expected at least 10 and 1", yamlFiles, jsonFiles)
	}
}

// The parts of the Kubernetes manifests the tests look at.
type (
	k8sMeta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	containerPort struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	}
	probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	container struct {
		Name         string          `yaml:"name"`
		Image        string          `yaml:"image"`
		Args         []string        `yaml:"args"`
		Command      []string        `yaml:"command"`
		Ports        []containerPort `yaml:"ports"`
		Liveness     *probe          `yaml:"livenessProbe"`
		Readiness    *probe          `yaml:"readinessProbe"`
		Resources    map[string]map[string]string
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		} `yaml:"securityContext"`
	}
	keyPath struct {
		Key  string `yaml:"key"`
		Path string `yaml:"path"`
	}
	// workload is a Deployment or a StatefulSet.
	workload struct {
		Kind     string  `yaml:"kind"`
		Metadata k8sMeta `yaml:"metadata"`
		Spec     struct {
			Replicas int `yaml:"replicas"`
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Template struct {
				Metadata k8sMeta `yaml:"metadata"`
				Spec     struct {
					SecurityContext struct {
						RunAsNonRoot bool `yaml:"runAsNonRoot"`
						RunAsUser    int  `yaml:"runAsUser"`
					} `yaml:"securityContext"`
					Containers []container `yaml:"containers"`
					Volumes    []struct {
						Name      string `yaml:"name"`
						Projected struct {
							Sources []struct {
								ConfigMap *struct {
									Name  string    `yaml:"name"`
									Items []keyPath `yaml:"items"`
								} `yaml:"configMap"`
								Secret *struct {
									Name  string    `yaml:"name"`
									Items []keyPath `yaml:"items"`
								} `yaml:"secret"`
							} `yaml:"sources"`
						} `yaml:"projected"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	service struct {
		Kind     string  `yaml:"kind"`
		Metadata k8sMeta `yaml:"metadata"`
		Spec     struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort any    `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	serviceMonitor struct {
		Kind     string  `yaml:"kind"`
		Metadata k8sMeta `yaml:"metadata"`
		Spec     struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Endpoints []struct {
				Port          string `yaml:"port"`
				Path          string `yaml:"path"`
				Interval      string `yaml:"interval"`
				ScrapeTimeout string `yaml:"scrapeTimeout"`
				HonorLabels   bool   `yaml:"honorLabels"`
				Relabelings   []struct {
					TargetLabel string `yaml:"targetLabel"`
					Replacement string `yaml:"replacement"`
				} `yaml:"relabelings"`
			} `yaml:"endpoints"`
		} `yaml:"spec"`
	}
	configMap struct {
		Kind     string            `yaml:"kind"`
		Metadata k8sMeta           `yaml:"metadata"`
		Data     map[string]string `yaml:"data"`
	}
	// secretRef is the Secret a workload may mount: its name and keys.
	secretRef struct {
		Name string
		Keys []string
	}
)

// The parts of docker-compose.yml and prometheus.yml the tests look at.
type (
	composeService struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		Environment map[string]string `yaml:"environment"`
	}
	composeFile struct {
		Services map[string]composeService `yaml:"services"`
	}
	prometheusConfig struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			ScrapeInterval string `yaml:"scrape_interval"`
			ScrapeTimeout  string `yaml:"scrape_timeout"`
			MetricsPath    string `yaml:"metrics_path"`
			StaticConfigs  []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
)

// composeMounts maps each container path a compose service mounts to the
// host path (relative to deploy/, where docker-compose.yml is).
func composeMounts(t *testing.T, svc composeService) map[string]string {
	t.Helper()
	mounts := map[string]string{}
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("volume %q: want host:container[:ro]", v)
			continue
		}
		mounts[parts[1]] = parts[0]
	}
	return mounts
}

func TestDockerCompose(t *testing.T) {
	var c composeFile
	loadYAML(t, "docker-compose.yml", &c)
	for _, name := range []string{"exporter", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("docker-compose.yml: no %s service", name)
		}
	}

	exporter := c.Services["exporter"]
	if repo, _, _ := strings.Cut(exporter.Image, ":"); repo != imageName {
		t.Errorf("exporter image %q, want %s:<tag> (built locally, no registry)", exporter.Image, imageName)
	}
	if !contains(exporter.Command, "--demo") {
		t.Errorf("exporter command %q lacks --demo", exporter.Command)
	}
	checkNoConfigFileFlag(t, "docker-compose.yml exporter command", exporter.Command)
	if !contains(exporter.Ports, port+":"+port) {
		t.Errorf("exporter ports %q lack %s:%s", exporter.Ports, port, port)
	}

	// Every mounted file or directory exists in the repository.
	for name, svc := range c.Services {
		for _, host := range composeMounts(t, svc) {
			if _, err := os.Stat(host); err != nil {
				t.Errorf("service %s mounts %s: %v", name, host, err)
			}
		}
	}

	// Prometheus gets the example configuration, and the rule file where
	// the configuration's relative rule_files entry finds it.
	promMounts := composeMounts(t, c.Services["prometheus"])
	var promConfigPath string
	for ctr, host := range promMounts {
		if host == "./prometheus/prometheus.yml" {
			promConfigPath = ctr
		}
	}
	if promConfigPath == "" {
		t.Fatal("prometheus service does not mount ./prometheus/prometheus.yml")
	}
	if !contains(c.Services["prometheus"].Command, "--config.file="+promConfigPath) {
		t.Errorf("prometheus command %q does not load %s", c.Services["prometheus"].Command, promConfigPath)
	}
	var pc prometheusConfig
	loadYAML(t, "prometheus/prometheus.yml", &pc)
	for _, rf := range pc.RuleFiles {
		want := path.Join(path.Dir(promConfigPath), rf)
		if host, ok := promMounts[want]; !ok || filepath.Clean(host) != filepath.Join("prometheus", rf) {
			t.Errorf("prometheus.yml loads rule file %s, which the prometheus service does not mount from ./prometheus/%s", want, rf)
		}
	}

	// prometheus.yml scrapes and alerts the compose services.
	for _, target := range scrapeTargets(t, pc) {
		if target != "exporter:"+port {
			t.Errorf("prometheus.yml scrapes %s, want exporter:%s (the compose service)", target, port)
		}
	}
	for _, am := range pc.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			for _, target := range sc.Targets {
				host, _, _ := strings.Cut(target, ":")
				if _, ok := c.Services[host]; !ok {
					t.Errorf("prometheus.yml sends alerts to %s, which is not a compose service", target)
				}
			}
		}
	}

	// Grafana: provisioning mounted where Grafana reads it, and the
	// dashboard where the dashboard provider looks.
	grafanaMounts := composeMounts(t, c.Services["grafana"])
	if host := grafanaMounts["/etc/grafana/provisioning"]; filepath.Clean(host) != filepath.Join("grafana", "provisioning") {
		t.Errorf("grafana service mounts %q at /etc/grafana/provisioning, want ./grafana/provisioning", host)
	}
	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	loadYAML(t, "grafana/provisioning/dashboards/codearts-check.yml", &provider)
	if len(provider.Providers) != 1 {
		t.Fatalf("dashboard provisioning: %d providers, want 1", len(provider.Providers))
	}
	dashboardDir := provider.Providers[0].Options.Path
	found := false
	for ctr, host := range grafanaMounts {
		if filepath.Clean(host) == filepath.Join("grafana", "codearts-check.json") && path.Dir(ctr) == dashboardDir {
			found = true
		}
	}
	if !found {
		t.Errorf("grafana service does not mount ./grafana/codearts-check.json into %s, the provider's path", dashboardDir)
	}
	if home := c.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; path.Dir(home) != dashboardDir {
		t.Errorf("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH %q is not in %s", home, dashboardDir)
	}

	// The provisioned data source is the compose Prometheus.
	var ds struct {
		Datasources []struct {
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	loadYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("provisioned data sources %+v, want one prometheus at http://prometheus:9090", ds.Datasources)
	}
	if !contains(c.Services["prometheus"].Ports, "9090:9090") || !contains(c.Services["grafana"].Ports, "3000:3000") || !contains(c.Services["alertmanager"].Ports, "9093:9093") {
		t.Error("compose services do not publish Prometheus on 9090, Alertmanager on 9093 and Grafana on 3000, as the file's header says")
	}
}

// scrapeTargets returns the targets of the codearts_check job, checking the
// job's settings on the way.
func scrapeTargets(t *testing.T, pc prometheusConfig) []string {
	t.Helper()
	var targets []string
	jobs := 0
	for _, sc := range pc.ScrapeConfigs {
		if sc.JobName != jobName {
			continue
		}
		jobs++
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("prometheus.yml: metrics_path %s, want /metrics", sc.MetricsPath)
		}
		interval, timeout := parseDuration(t, sc.ScrapeInterval), parseDuration(t, sc.ScrapeTimeout)
		// An API-backed exporter: no faster than every 30s, and a timeout
		// long enough for a slow API but below the interval.
		if interval < 30 || timeout < 10 || timeout >= interval {
			t.Errorf("prometheus.yml: scrape_interval %s, scrape_timeout %s: want an interval of at least 30s and a timeout of at least 10s below it", sc.ScrapeInterval, sc.ScrapeTimeout)
		}
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	if jobs != 1 || len(targets) == 0 {
		t.Errorf("prometheus.yml: want one scrape job %q with targets, found %d jobs and %d targets", jobName, jobs, len(targets))
	}
	return targets
}

// parseDuration parses the simple "<n>s"/"<n>m" durations the examples use,
// in seconds.
func parseDuration(t *testing.T, s string) int {
	t.Helper()
	var n int
	var unit string
	if _, err := fmt.Sscanf(s, "%d%s", &n, &unit); err != nil {
		t.Errorf("duration %q: %v", s, err)
		return 0
	}
	switch unit {
	case "s":
		return n
	case "m":
		return 60 * n
	}
	t.Errorf("duration %q: want seconds or minutes", s)
	return 0
}

// loadYAMLDocument reads the document of the given kind from a YAML file
// that may hold several.
func loadYAMLDocument(t *testing.T, name, kind string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, name)))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s: no %s", name, kind)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc["kind"] != kind {
			continue
		}
		b, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %s: %v", name, kind, err)
		}
		return
	}
}

func TestKubernetesManifests(t *testing.T) {
	var (
		dep workload
		svc service
		sm  serviceMonitor
		cm  configMap
	)
	loadYAMLDocument(t, "kubernetes/deployment.yml", "Deployment", &dep)
	loadYAMLDocument(t, "kubernetes/service.yml", "Service", &svc)
	loadYAMLDocument(t, "kubernetes/servicemonitor.yml", "ServiceMonitor", &sm)
	k := loadKustomization(t)
	cm = k.configMap(t)
	sec := secretRef{Name: secretName, Keys: []string{"password"}}

	portName, files := checkWorkload(t, "deployment.yml", dep, imagePlaceholder+":"+tagPlaceholder, cm, sec)

	// The example configuration is valid, and every *_file in it is a
	// mounted secret.
	key, ok := strings.CutPrefix(files[configPath], "configmap:")
	if !ok {
		t.Fatalf("deployment does not mount a ConfigMap key at %s (files: %v)", configPath, files)
	}
	exampleConfig, ok := cm.Data[key]
	if !ok {
		t.Fatalf("the configMapGenerator of kustomization.yml has no key %s", key)
	}
	for _, file := range regexp.MustCompile(`(?m)_file:\s*(\S+)`).FindAllStringSubmatch(exampleConfig, -1) {
		if !strings.HasPrefix(files[file[1]], "secret:") {
			t.Errorf("the example configuration reads %s, which the deployment does not mount from the Secret", file[1])
		}
	}
	checkExampleConfig(t, exampleConfig)
	checkAutoReload(t, "deployment.yml", dep)

	// The Service exposes the container port; the ServiceMonitor scrapes
	// it under the job name the alerts use.
	if !subset(svc.Spec.Selector, dep.Spec.Template.Metadata.Labels) {
		t.Error("service: selector does not match the deployment's pods")
	}
	if len(svc.Spec.Ports) != 1 || fmt.Sprint(svc.Spec.Ports[0].Port) != port ||
		(fmt.Sprint(svc.Spec.Ports[0].TargetPort) != portName && fmt.Sprint(svc.Spec.Ports[0].TargetPort) != port) {
		t.Fatalf("service: ports %+v, want port %s to targetPort %s", svc.Spec.Ports, port, portName)
	}
	if !subset(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		t.Error("servicemonitor: selector does not match the service's labels")
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("servicemonitor: %d endpoints, want 1", len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != svc.Spec.Ports[0].Name || ep.Path != "/metrics" {
		t.Errorf("servicemonitor: scrapes port %q path %q, want port %q path /metrics", ep.Port, ep.Path, svc.Spec.Ports[0].Name)
	}
	// The exporter's codearts_check_api_requests_total has an "endpoint"
	// label, which the operator's target label of that name overrides.
	if !ep.HonorLabels {
		t.Error("servicemonitor: honorLabels must be true, or the exporter's endpoint label becomes exported_endpoint")
	}
	if interval, timeout := parseDuration(t, ep.Interval), parseDuration(t, ep.ScrapeTimeout); interval < 30 || timeout < 10 || timeout >= interval {
		t.Errorf("servicemonitor: interval %s, scrapeTimeout %s: want an interval of at least 30s and a timeout of at least 10s below it", ep.Interval, ep.ScrapeTimeout)
	}
	job := ""
	for _, r := range ep.Relabelings {
		if r.TargetLabel == "job" {
			job = r.Replacement
		}
	}
	if job != jobName {
		t.Errorf("servicemonitor: job label %q, want %q (what the alerts select)", job, jobName)
	}

	// The sharded StatefulSet, the alternative to the Deployment, reuses
	// the same Service, ConfigMap and Secret.
	var sts workload
	loadYAMLDocument(t, "kubernetes/statefulset-sharded.yaml", "StatefulSet", &sts)
	checkWorkload(t, "statefulset-sharded.yaml", sts, imagePlaceholder+":"+tagPlaceholder, cm, sec)
	if !subset(svc.Spec.Selector, sts.Spec.Template.Metadata.Labels) {
		t.Error("service: selector does not match the StatefulSet's pods")
	}
	// Each replica queries one shard: with fewer shards than replicas some
	// do the same work twice, with more some tasks are never queried.
	totalShards := ""
	for _, a := range sts.Spec.Template.Spec.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "--total-shards="); ok {
			totalShards = v
		}
	}
	if totalShards != fmt.Sprint(sts.Spec.Replicas) {
		t.Errorf("statefulset-sharded.yaml: --total-shards=%s, want the replica count %d", totalShards, sts.Spec.Replicas)
	}
	checkAutoReload(t, "statefulset-sharded.yaml", sts)

	// kustomization.yml applies every manifest in the directory, except
	// the ones that replace another, and generates the ConfigMap from the
	// rest.
	alternatives := map[string]bool{"statefulset-sharded.yaml": true}
	listed := append(append([]string{}, k.Resources...), k.ConfigMapGenerator[0].Files...)
	for _, pattern := range []string{"kubernetes/*.yml", "kubernetes/*.yaml"} {
		manifests, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range manifests {
			if base := filepath.Base(m); base != "kustomization.yml" && !alternatives[base] && !contains(listed, base) {
				t.Errorf("kustomization.yml does not list %s", base)
			}
		}
	}
	for _, r := range listed {
		if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
			t.Errorf("kustomization.yml: %v", err)
		}
	}
}

// kustomization is what the tests read of kustomization.yml.
type kustomization struct {
	Resources          []string `yaml:"resources"`
	ConfigMapGenerator []struct {
		Name    string   `yaml:"name"`
		Files   []string `yaml:"files"`
		Options struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"options"`
	} `yaml:"configMapGenerator"`
}

func loadKustomization(t *testing.T) kustomization {
	t.Helper()
	var k kustomization
	loadYAML(t, "kubernetes/kustomization.yml", &k)
	return k
}

// configMap is the ConfigMap the kustomization's one configMapGenerator
// makes, under the name the workloads use (kustomize rewrites their
// references to the hashed name; deploy/validate checks that on its
// real build). A generator, not a resource, so that an edit of the file
// makes a new ConfigMap and rolls the pods.
func (k kustomization) configMap(t *testing.T) configMap {
	t.Helper()
	if len(k.ConfigMapGenerator) != 1 {
		t.Fatalf("kustomization.yml: %d configMapGenerator entries, want 1 (the exporter's configuration)", len(k.ConfigMapGenerator))
	}
	g := k.ConfigMapGenerator[0]
	cm := configMap{Kind: "ConfigMap", Metadata: k8sMeta{Name: g.Name, Labels: g.Options.Labels}, Data: map[string]string{}}
	for _, f := range g.Files {
		key, file, ok := strings.Cut(f, "=")
		if !ok {
			file = key
		}
		cm.Data[key] = string(readFile(t, filepath.Join("kubernetes", file)))
	}
	return cm
}

// checkAutoReload fails unless the workload reloads its configuration
// within 30 s of a change: a ConfigMap edited in the cluster reaches the
// pod as a symlink swap, and the image has no shell to send SIGHUP.
func checkAutoReload(t *testing.T, file string, w workload) {
	t.Helper()
	if !contains(w.Spec.Template.Spec.Containers[0].Args, "--config.auto-reload-interval=30s") {
		t.Errorf("%s: args %q lack --config.auto-reload-interval=30s", file, w.Spec.Template.Spec.Containers[0].Args)
	}
}

// checkWorkload checks a Deployment or StatefulSet of the exporter: the
// image, non-root, read-only, bounded, probed, listening on the
// port, with the configuration and the secrets where the image's
// entrypoint and the configuration expect them. It returns the name of
// the container port and the files mounted into the container (container
// path to "configmap:<key>" or "secret:<key>").
func checkWorkload(t *testing.T, file string, w workload, image string, cm configMap, sec secretRef) (string, map[string]string) {
	t.Helper()
	pod := w.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", file, len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != image {
		t.Errorf("%s: image %s, want %s", file, c.Image, image)
	}
	if !pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.RunAsUser == 0 {
		t.Errorf("%s: the pod must set runAsNonRoot and a non-zero runAsUser", file)
	}
	if !c.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("%s: the container must set readOnlyRootFilesystem", file)
	}
	if c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("%s: the container must set allowPrivilegeEscalation: false", file)
	}
	for _, kind := range []string{"requests", "limits"} {
		if c.Resources[kind]["cpu"] == "" || c.Resources[kind]["memory"] == "" {
			t.Errorf("%s: resources.%s needs cpu and memory", file, kind)
		}
	}
	if len(c.Command) != 0 {
		t.Errorf("%s: command %q replaces the image's entrypoint; use args", file, c.Command)
	}
	checkNoConfigFileFlag(t, file+" args", c.Args)
	for _, a := range c.Args {
		if addr, ok := strings.CutPrefix(a, "--web.listen-address="); ok && !strings.HasSuffix(addr, ":"+port) {
			t.Errorf("%s: %s does not listen on port %s", file, a, port)
		}
	}
	if len(c.Ports) != 1 || fmt.Sprint(c.Ports[0].ContainerPort) != port {
		t.Fatalf("%s: ports %+v, want one containerPort %s", file, c.Ports, port)
	}
	portName := c.Ports[0].Name
	for _, p := range []struct {
		probe *probe
		path  string
	}{{c.Liveness, "/-/healthy"}, {c.Readiness, "/-/ready"}} {
		if p.probe == nil || p.probe.HTTPGet.Path != p.path || (fmt.Sprint(p.probe.HTTPGet.Port) != portName && fmt.Sprint(p.probe.HTTPGet.Port) != port) {
			t.Errorf("%s: want an HTTP probe of %s on port %s, got %+v", file, p.path, portName, p.probe)
		}
	}
	if !subset(w.Spec.Selector.MatchLabels, w.Spec.Template.Metadata.Labels) {
		t.Errorf("%s: the selector does not match the pod template's labels", file)
	}

	files := map[string]string{}
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("%s: volume %s is mounted writable", file, m.Name)
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					if src.ConfigMap.Name != cm.Metadata.Name {
						t.Errorf("%s mounts ConfigMap %s, kustomization.yml generates %s", file, src.ConfigMap.Name, cm.Metadata.Name)
					}
					for _, it := range src.ConfigMap.Items {
						files[path.Join(m.MountPath, it.Path)] = "configmap:" + it.Key
					}
				}
				if src.Secret != nil {
					if src.Secret.Name != sec.Name {
						t.Errorf("%s mounts Secret %s, deploy/README.md creates %s", file, src.Secret.Name, sec.Name)
					}
					for _, it := range src.Secret.Items {
						files[path.Join(m.MountPath, it.Path)] = "secret:" + it.Key
					}
				}
			}
		}
	}
	if !strings.HasPrefix(files[configPath], "configmap:") {
		t.Errorf("%s does not mount a ConfigMap key at %s (files: %v)", file, configPath, files)
	}
	for f, src := range files {
		if k, ok := strings.CutPrefix(src, "secret:"); ok {
			if !strings.HasPrefix(f, secretsDir+"/") {
				t.Errorf("%s mounts secret key %s at %s, outside %s", file, k, f, secretsDir)
			}
			if !contains(sec.Keys, k) {
				t.Errorf("%s mounts secret key %s, which the Secret deploy/README.md creates does not have (keys %v)", file, k, sec.Keys)
			}
		}
	}
	return portName, files
}

// checkExampleConfig runs the exporter's own --config.check on an example
// configuration, with its secret files pointed at dummy files.
func checkExampleConfig(t *testing.T, cfg string) {
	t.Helper()
	bin := testkit.Binary(t)
	dir := t.TempDir()
	for _, file := range regexp.MustCompile(`(?m)_file:\s*(\S+)`).FindAllStringSubmatch(cfg, -1) {
		local := filepath.Join(dir, filepath.Base(file[1]))
		if err := os.WriteFile(local, []byte("dummy-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg = strings.ReplaceAll(cfg, file[1], local)
	}
	name := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--config.check", "--config.file="+name).CombinedOutput()
	if err != nil {
		t.Errorf("the example configuration is invalid: %v\n%s", err, out)
	}
}

// checkNoConfigFileFlag fails when extra arguments repeat --config.file:
// the image's entrypoint sets it, and the exporter refuses a repeated flag.
func checkNoConfigFileFlag(t *testing.T, where string, args []string) {
	t.Helper()
	for _, a := range args {
		if strings.HasPrefix(a, "--config.file") {
			t.Errorf("%s: %s repeats the entrypoint's --config.file, which the exporter rejects", where, a)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// subset reports whether every label of sel is in labels, with the same
// value, and sel is not empty.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
