package deploy_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"
)

// The chart's configuration values (config, existingConfigMap, webConfig)
// and what depends on them: the args, the mounts and the probes. The three
// ci/ values files checked here are also the chart README's examples and
// are validated offline by scripts/validate-deploy.sh like every ci/ file.

// chartPod is the part of a rendered Deployment these tests look at, with
// what deploy_test.go's workload leaves out: probe handlers of every kind,
// and volumes that are not projected.
type chartPod struct {
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Args         []string    `yaml:"args"`
					Liveness     *chartProbe `yaml:"livenessProbe"`
					Readiness    *chartProbe `yaml:"readinessProbe"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
						ReadOnly  bool   `yaml:"readOnly"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name   string `yaml:"name"`
					Secret *struct {
						SecretName string `yaml:"secretName"`
					} `yaml:"secret"`
					Projected *struct {
						Sources []struct {
							ConfigMap *struct {
								Name  string    `yaml:"name"`
								Items []keyPath `yaml:"items"`
							} `yaml:"configMap"`
						} `yaml:"sources"`
					} `yaml:"projected"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type chartProbe struct {
	HTTPGet *struct {
		Path   string `yaml:"path"`
		Port   any    `yaml:"port"`
		Scheme string `yaml:"scheme"`
	} `yaml:"httpGet"`
	TCPSocket *struct {
		Port any `yaml:"port"`
	} `yaml:"tcpSocket"`
	Exec          any `yaml:"exec"`
	PeriodSeconds int `yaml:"periodSeconds"`
}

// handler says in one word how the kubelet runs a probe: "HTTP /path",
// "HTTPS /path", "tcp" (on the metrics port), or what else it found.
func (p *chartProbe) handler() string {
	switch {
	case p == nil:
		return "none"
	case p.HTTPGet != nil && p.TCPSocket == nil && p.Exec == nil && p.HTTPGet.Port == "http-metrics":
		return p.HTTPGet.Scheme + " " + p.HTTPGet.Path
	case p.TCPSocket != nil && p.HTTPGet == nil && p.Exec == nil && p.TCPSocket.Port == "http-metrics":
		return "tcp"
	}
	return "other"
}

// configMounts maps each file of the chart's projected config volume to
// "<ConfigMap>:<key>".
func (p chartPod) configMounts() map[string]string {
	files := map[string]string{}
	for _, v := range p.Spec.Template.Spec.Volumes {
		if v.Name != "config" || v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ConfigMap != nil {
				for _, it := range src.ConfigMap.Items {
					files[filepath.Join(configDir, it.Path)] = src.ConfigMap.Name + ":" + it.Key
				}
			}
		}
	}
	return files
}

// chartValuesFile returns a ci/ values file's path and its config and
// webConfig values (the YAML text).
func chartValuesFile(t *testing.T, name string) (file, config, webConfig string) {
	t.Helper()
	file = filepath.Join(chartDir, "ci", name)
	var v struct {
		Config    string `yaml:"config"`
		WebConfig string `yaml:"webConfig"`
	}
	loadYAML(t, file, &v)
	return file, v.Config, v.WebConfig
}

// exporterConfig is the part of a rendered config.yml these tests look at.
type exporterConfig struct {
	Region string                    `yaml:"region"`
	Auth   map[string]map[string]any `yaml:"auth"`
	Tasks  []struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name"`
	} `yaml:"tasks"`
}

// renderUserConfig renders the chart with a ci/ values file and checks
// what every user configuration must give: the Deployment held to
// checkWorkload's standards, config.yml exactly the values' config text
// (nothing of the example merged in), which --config.check accepts, and
// the auto-reload flag. It returns config.yml, parsed and as text.
func renderUserConfig(t *testing.T, valuesFile string, sec secretRef) (exporterConfig, string) {
	t.Helper()
	file, text, _ := chartValuesFile(t, valuesFile)
	if text == "" {
		t.Fatalf("%s sets no config", file)
	}
	docs := renderChart(t, "-f", file)
	var (
		dep workload
		cm  configMap
		pod chartPod
	)
	decodeOne(t, docs, "Deployment", &dep)
	decodeOne(t, docs, "Deployment", &pod)
	decodeOne(t, docs, "ConfigMap", &cm)
	version := strings.TrimSpace(string(readFile(t, filepath.Join(repoRoot, "VERSION"))))
	checkWorkload(t, file, dep, imagePlaceholder+":v"+version, cm, sec)
	rendered := cm.Data["config.yml"]
	if strings.TrimSpace(rendered) != strings.TrimSpace(text) {
		t.Errorf("%s: config.yml is not the values' config as given:\n%s\nwant:\n%s", file, rendered, text)
	}
	for _, leftover := range []string{"example-account", "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"} {
		if strings.Contains(rendered, leftover) {
			t.Errorf("%s: config.yml keeps the example's %s:\n%s", file, leftover, rendered)
		}
	}
	checkExampleConfig(t, rendered)
	if args := pod.Spec.Template.Spec.Containers[0].Args; !contains(args, "--config.auto-reload-interval=30s") {
		t.Errorf("%s: args %q lack --config.auto-reload-interval=30s", file, args)
	}
	var cfg exporterConfig
	if err := yaml.Unmarshal([]byte(rendered), &cfg); err != nil {
		t.Fatalf("%s: config.yml: %v", file, err)
	}
	return cfg, rendered
}

func authBlocks(cfg exporterConfig) []string {
	var blocks []string
	for k := range cfg.Auth {
		blocks = append(blocks, k)
	}
	sort.Strings(blocks)
	return blocks
}

// TestChartAKSKConfig: switching to AK/SK renders the aksk block alone
// (the example's iam block beside it made the pod crash-loop) and mounts
// the Secret keys the values list, not the example's password.
func TestChartAKSKConfig(t *testing.T) {
	cfg, _ := renderUserConfig(t, "aksk-values.yaml", secretRef{Name: secretName, Keys: []string{"secret_key"}})
	if b := authBlocks(cfg); !reflect.DeepEqual(b, []string{"aksk"}) {
		t.Errorf("auth blocks %v, want exactly [aksk]", b)
	}
	if ak := cfg.Auth["aksk"]; ak["access_key"] != "AKEXAMPLE0123456789" || ak["secret_key_file"] != secretsDir+"/secret_key" {
		t.Errorf("auth.aksk %v, want the values' access key and secret_key_file", ak)
	}
	if len(cfg.Tasks) != 1 || cfg.Tasks[0].Name != "payments" {
		t.Errorf("tasks %+v, want the values' one task (payments)", cfg.Tasks)
	}
}

// TestChartOtherRegionConfig: another region renders that region and no
// IAM project of the example's (project_name: cn-north-4 used to stay).
func TestChartOtherRegionConfig(t *testing.T) {
	cfg, rendered := renderUserConfig(t, "la-north-2-values.yaml", secretRef{Name: secretName, Keys: []string{"password"}})
	if cfg.Region != "la-north-2" {
		t.Errorf("region %q, want la-north-2", cfg.Region)
	}
	if b := authBlocks(cfg); !reflect.DeepEqual(b, []string{"iam"}) {
		t.Errorf("auth blocks %v, want exactly [iam]", b)
	}
	iam := cfg.Auth["iam"]
	if _, ok := iam["project_name"]; ok {
		t.Errorf("auth.iam %v has a project_name the values do not give", iam)
	}
	if iam["domain_name"] != "acme-latam" || len(cfg.Tasks) != 1 || cfg.Tasks[0].Name != "mobile-app" {
		t.Errorf("auth.iam %v, tasks %+v: want the values' account and one task (mobile-app)", iam, cfg.Tasks)
	}
	if strings.Contains(rendered, "cn-north-4") {
		t.Errorf("config.yml still names the example's region cn-north-4:\n%s", rendered)
	}
}

// TestChartConfigAsMappingOrFile: the two other ways to give the
// configuration replace the example whole too: a mapping (Helm would merge
// it key by key into a mapping default; the default is text) and
// --set-file, which the values' comments show.
func TestChartConfigAsMappingOrFile(t *testing.T) {
	dir := t.TempDir()
	const own = "region: la-north-2\nauth:\n  token_file: /etc/codearts_check_exporter/secrets/token\ntasks:\n  - id: 8f3c2a1b4d5e6f708192a3b4c5d6e7f8\n"
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("config:\n"+indent(own, "  ")), 0o600); err != nil {
		t.Fatal(err)
	}
	ownFile := filepath.Join(dir, "codearts_check_exporter.yml")
	if err := os.WriteFile(ownFile, []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"mapping":    {"-f", mapping},
		"--set-file": {"--set-file", "config=" + ownFile},
	} {
		var cm configMap
		decodeOne(t, renderChart(t, args...), "ConfigMap", &cm)
		var got, want any
		if err := yaml.Unmarshal([]byte(cm.Data["config.yml"]), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := yaml.Unmarshal([]byte(own), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("config given as %s: config.yml\n%s\nwant exactly\n%s", name, cm.Data["config.yml"], own)
		}
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "") + "\n"
}

// TestChartExistingConfigMap: existingConfigMap mounts the user's
// ConfigMap as config.yml and the chart renders none of its own, unless it
// needs one for webConfig, which then holds web-config.yml alone.
func TestChartExistingConfigMap(t *testing.T) {
	docs := renderChart(t, "--set", "existingConfigMap=my-exporter-config")
	if n := len(docs["ConfigMap"]); n != 0 {
		t.Errorf("existingConfigMap set: the chart renders %d ConfigMaps, want none", n)
	}
	var pod chartPod
	decodeOne(t, docs, "Deployment", &pod)
	if got := pod.configMounts(); !reflect.DeepEqual(got, map[string]string{configPath: "my-exporter-config:config.yml"}) {
		t.Errorf("mounted files %v, want only %s from my-exporter-config", got, configPath)
	}

	docs = renderChart(t, "--set", "existingConfigMap=my-exporter-config", "--set", "webConfig=basic_auth_users: {prometheus: x}")
	var cm configMap
	decodeOne(t, docs, "ConfigMap", &cm)
	decodeOne(t, docs, "Deployment", &pod)
	if _, ok := cm.Data["config.yml"]; ok || cm.Data["web-config.yml"] == "" {
		t.Errorf("existingConfigMap and webConfig: the chart's ConfigMap holds %v, want web-config.yml alone", cm.Data)
	}
	want := map[string]string{configPath: "my-exporter-config:config.yml", configDir + "/web-config.yml": cm.Metadata.Name + ":web-config.yml"}
	if got := pod.configMounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("mounted files %v, want %v", got, want)
	}
}

// TestChartWebConfig renders the web configuration example (basic auth and
// TLS): the file mounted and passed, the TLS Secret mounted through the
// extra volumes, the extra args kept, probes that need no credentials,
// a ServiceMonitor that scrapes over HTTPS with basic auth, and a web
// configuration that exporter-toolkit itself accepts.
func TestChartWebConfig(t *testing.T) {
	file, _, webText := chartValuesFile(t, "web-config-values.yaml")
	docs := renderChart(t, "-f", file)
	var (
		pod chartPod
		cm  configMap
		sm  struct {
			Spec struct {
				Endpoints []struct {
					Scheme    string         `yaml:"scheme"`
					BasicAuth map[string]any `yaml:"basicAuth"`
					TLSConfig map[string]any `yaml:"tlsConfig"`
				} `yaml:"endpoints"`
			} `yaml:"spec"`
		}
	)
	decodeOne(t, docs, "Deployment", &pod)
	decodeOne(t, docs, "ConfigMap", &cm)
	decodeOne(t, docs, "ServiceMonitor", &sm)
	c := pod.Spec.Template.Spec.Containers[0]

	webFile := configDir + "/web-config.yml"
	for _, a := range []string{"--web.config.file=" + webFile, "--web.max-requests=20", "--config.auto-reload-interval=30s"} {
		if !contains(c.Args, a) {
			t.Errorf("args %q lack %s", c.Args, a)
		}
	}
	if got := pod.configMounts()[webFile]; got != cm.Metadata.Name+":web-config.yml" {
		t.Errorf("%s is mounted from %q, want the chart's ConfigMap key web-config.yml", webFile, got)
	}
	if strings.TrimSpace(cm.Data["web-config.yml"]) != strings.TrimSpace(webText) {
		t.Errorf("web-config.yml is not the values' webConfig as given:\n%s", cm.Data["web-config.yml"])
	}
	tlsMounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Spec.Template.Spec.Volumes {
			if m.Name == "tls" && v.Name == "tls" && m.MountPath == "/tls" && m.ReadOnly && v.Secret != nil && v.Secret.SecretName == "codearts-check-exporter-tls" {
				tlsMounted = true
			}
		}
	}
	if !tlsMounted {
		t.Error("extraVolumes/extraVolumeMounts: the Secret codearts-check-exporter-tls is not mounted read-only at /tls")
	}

	// Basic auth covers /-/healthy and /-/ready: an HTTP probe would get 401.
	if l, r := c.Liveness.handler(), c.Readiness.handler(); l != "tcp" || r != "tcp" {
		t.Errorf("with basic auth on, probes are %q and %q, want TCP checks of http-metrics", l, r)
	}
	if c.Liveness != nil && c.Liveness.PeriodSeconds != 30 {
		t.Errorf("livenessProbe periodSeconds %d, want the values' 30", c.Liveness.PeriodSeconds)
	}

	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Scheme != "https" || sm.Spec.Endpoints[0].BasicAuth["password"] == nil || sm.Spec.Endpoints[0].TLSConfig["ca"] == nil {
		t.Errorf("ServiceMonitor endpoints %+v, want one over https with the values' basicAuth and tlsConfig", sm.Spec.Endpoints)
	}

	// exporter-toolkit's own check (strict keys, bcrypt hashes, a
	// certificate and key that load), with /tls pointed at a real pair.
	dir := t.TempDir()
	testkit.SelfSignedCert(t, filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	local := filepath.Join(dir, "web-config.yml")
	if err := os.WriteFile(local, []byte(strings.ReplaceAll(cm.Data["web-config.yml"], "/tls/", dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := web.Validate(local); err != nil {
		t.Errorf("exporter-toolkit refuses the rendered web-config.yml: %v", err)
	}
}

// TestChartProbes: how the kubelet probes follows the web configuration,
// and a handler given in the values wins.
func TestChartProbes(t *testing.T) {
	for _, c := range []struct {
		name                string
		args                []string
		liveness, readiness string
	}{
		{"no web configuration", nil, "HTTP /-/healthy", "HTTP /-/ready"},
		{"TLS only", []string{"--set-json", `webConfig={"tls_server_config":{"cert_file":"/tls/tls.crt","key_file":"/tls/tls.key"}}`}, "HTTPS /-/healthy", "HTTPS /-/ready"},
		{"basic auth only", []string{"--set", "webConfig=basic_auth_users: {prometheus: x}"}, "tcp", "tcp"},
		{"a web configuration of the user's", []string{"--set", "extraArgs[0]=--web.config.file=/own/web.yml"}, "tcp", "tcp"},
		{"a handler in the values", []string{"--set", "webConfig=basic_auth_users: {prometheus: x}", "--set-json", `livenessProbe={"httpGet":{"path":"/custom","port":"http-metrics","scheme":"HTTP"}}`}, "HTTP /custom", "tcp"},
	} {
		var pod chartPod
		decodeOne(t, renderChart(t, c.args...), "Deployment", &pod)
		ctr := pod.Spec.Template.Spec.Containers[0]
		if l, r := ctr.Liveness.handler(), ctr.Readiness.handler(); l != c.liveness || r != c.readiness {
			t.Errorf("%s: probes %q and %q, want %q and %q", c.name, l, r, c.liveness, c.readiness)
		}
	}
}

// TestChartAutoReloadFlag: the interval is a value; "" leaves the flag out.
func TestChartAutoReloadFlag(t *testing.T) {
	for set, want := range map[string]string{
		"configAutoReloadInterval=2m": "--config.auto-reload-interval=2m",
		"configAutoReloadInterval=":   "",
	} {
		var pod chartPod
		decodeOne(t, renderChart(t, "--set", set), "Deployment", &pod)
		var got string
		for _, a := range pod.Spec.Template.Spec.Containers[0].Args {
			if strings.HasPrefix(a, "--config.auto-reload-interval") {
				got = a
			}
		}
		if got != want {
			t.Errorf("--set %s: flag %q, want %q", set, got, want)
		}
	}
}
