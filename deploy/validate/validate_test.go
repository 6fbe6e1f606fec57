package main

import (
	"bytes"
	"strings"
	"testing"
)

// good is a minimal valid set: a Deployment, the Service that selects it,
// its ConfigMap and a ServiceMonitor of the Service.
const good = `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {config.yml: "x: 1"}
---
# helm template writes comment-only documents like this one
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {app: a}}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:v1
          ports: [{name: http-metrics, containerPort: 10139}]
          readinessProbe: {httpGet: {path: /-/ready, port: http-metrics}}
          resources: {requests: {memory: 32Mi}, limits: {memory: 128Mi}}
          volumeMounts: [{name: config, mountPath: /etc/app, readOnly: true}]
      volumes:
        - name: config
          projected:
            sources:
              - configMap: {name: cfg, items: [{key: config.yml, path: config.yml}]}
              - secret: {name: made-apart, items: [{key: password, path: secrets/password}]}
---
apiVersion: v1
kind: Service
metadata: {name: app, labels: {app: a}}
spec:
  selector: {app: a}
  ports: [{name: http-metrics, port: 10139, targetPort: http-metrics}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app}
spec:
  selector: {matchLabels: {app: a}}
  endpoints: [{port: http-metrics, interval: 60s, scrapeTimeout: 30s}]
`

func validate(t *testing.T, in string) []string {
	t.Helper()
	objs, errs := Decode("in.yaml", strings.NewReader(in))
	errs = append(errs, Check(objs)...)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

func TestGood(t *testing.T) {
	if errs := validate(t, good); len(errs) != 0 {
		t.Fatalf("valid set refused:\n%s", strings.Join(errs, "\n"))
	}
	objs, _ := Decode("in.yaml", strings.NewReader(good))
	if len(objs) != 4 {
		t.Errorf("decoded %d objects, want 4 (comment-only documents skipped)", len(objs))
	}
}

// Each case breaks good in one way; the error must name what is wrong.
func TestBad(t *testing.T) {
	for _, c := range []struct{ name, old, new, want string }{
		{"unknown field", "readOnly: true", "readOnly: true, readonly: true", `unknown field "spec.template.spec.containers[0].volumeMounts[0].readonly"`},
		{"misspelt nesting", "selector: {matchLabels: {app: a}}\n  template", "matchLabels: {app: a}\n  template", `unknown field "spec.matchLabels"`},
		{"wrong type", "containerPort: 10139", `containerPort: "10139"`, "cannot unmarshal string into Go struct field ContainerPort"},
		{"bad quantity", "memory: 128Mi", "memory: 128MB", "quantities must match the regular expression"},
		{"unknown kind", "kind: ConfigMap", "kind: ConfigMapp", `no kind "ConfigMapp" is registered`},
		{"duplicate key", "data: {config.yml: \"x: 1\"}", "data: {config.yml: \"x: 1\", config.yml: \"y\"}", `key "config.yml" already set in map`},
		{"selector mismatch", "metadata: {labels: {app: a}}\n    spec:", "metadata: {labels: {app: b}}\n    spec:", "spec.template.metadata.labels: Invalid value: {\"app\":\"b\"}: does not match spec.selector"},
		{"no image", "image: registry.example.com/app:v1", `image: ""`, "spec.template.spec.containers[0].image: Invalid value: \"\": must be set"},
		{"probe port", "port: http-metrics}}", "port: metrics}}", `spec.template.spec.containers[0].readinessProbe.httpGet.port: Invalid value: "metrics": no container port has this name`},
		{"mount of no volume", "name: config, mountPath", "name: conf, mountPath", `spec.template.spec.containers[0].volumeMounts[0].name: Not found: "conf"`},
		{"requests above limits", "requests: {memory: 32Mi}", "requests: {memory: 256Mi}", "must be less than or equal to the limit 128Mi"},
		{"bad name", "metadata: {name: app, labels", "metadata: {name: App, labels", `metadata.name: Invalid value: "App"`},
		{"port out of range", "port: 10139, targetPort", "port: 100000, targetPort", "spec.ports[0].port: Invalid value: 100000"},
		{"service selects nothing", "selector: {app: a}\n  ports", "selector: {app: z}\n  ports", "selector map[app:z] matches no workload's pods"},
		{"monitor port", "endpoints: [{port: http-metrics", "endpoints: [{port: metrics", `endpoint port "metrics" is not a port of Service app`},
		{"duration", "interval: 60s", "interval: 1 minute", `spec.endpoints[0].interval: Invalid value: "1 minute": not a Prometheus duration`},
		{"missing ConfigMap", "configMap: {name: cfg,", "configMap: {name: other,", `mounts ConfigMap "other", which is not in the set`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("test bug: %q is not in the valid set", c.old)
			}
			errs := validate(t, strings.Replace(good, c.old, c.new, 1))
			for _, e := range errs {
				if strings.Contains(e, c.want) {
					return
				}
			}
			t.Errorf("want an error containing %q, got:\n%s", c.want, strings.Join(errs, "\n"))
		})
	}
}

func TestPrometheusRule(t *testing.T) {
	const rule = `
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          expr: up == 0
          for: 5m
`
	if errs := validate(t, rule); len(errs) != 0 {
		t.Fatalf("valid rule refused: %v", errs)
	}
	for _, c := range []struct{ old, new, want string }{
		{"- alert: A", "- alert: A\n          record: r", "want exactly one of alert and record"},
		{"for: 5m", "for: five", `spec.groups[0].rules[0].for: Invalid value: "five"`},
		{"for: 5m", "fore: 5m", `unknown field "spec.groups[0].rules[0].fore"`},
	} {
		errs := validate(t, strings.Replace(rule, c.old, c.new, 1))
		if !strings.Contains(strings.Join(errs, "\n"), c.want) {
			t.Errorf("%s -> %s: want %q, got %v", c.old, c.new, c.want, errs)
		}
	}
}

func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-"}, strings.NewReader(good), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if want := "4 objects valid (1 ConfigMap, 1 Deployment, 1 Service, 1 ServiceMonitor)"; !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	out.Reset()
	if code := run([]string{"-"}, strings.NewReader("kind: Nope\napiVersion: v1\n"), &out, &errOut); code != 1 {
		t.Errorf("exit %d for an unknown kind, want 1", code)
	}
}

// FuzzValidate: whatever the input, the validator reports and never panics.
func FuzzValidate(f *testing.F) {
	f.Add(good)
	f.Add("---\n---\n")
	f.Add("- a\n- b\n")
	f.Add("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: x}\n")
	f.Fuzz(func(t *testing.T, in string) {
		objs, _ := Decode("fuzz", strings.NewReader(in))
		_ = Check(objs)
	})
}
