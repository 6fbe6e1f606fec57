package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The kinds the deploy/ manifests and the chart may contain. Anything else
// is refused: a kind this validator does not know is a kind it cannot check.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, monitoringv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strict decodes YAML into the registered Go types and reports unknown and
// duplicate fields: the same types the API server's OpenAPI schemas (and,
// for monitoring.coreos.com, the operator's CRD schemas) are generated from.
var strict = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})

// Object is one decoded manifest and where it came from.
type Object struct {
	Source string // file name and document number
	Obj    runtime.Object
}

func (o Object) String() string {
	kind := o.Obj.GetObjectKind().GroupVersionKind().Kind
	name := ""
	if m, err := metaOf(o.Obj); err == nil {
		name = m.Name
	}
	return fmt.Sprintf("%s (%s %s)", o.Source, kind, name)
}

func metaOf(obj runtime.Object) (*metav1.ObjectMeta, error) {
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		return &o.ObjectMeta, nil
	case *corev1.Secret:
		return &o.ObjectMeta, nil
	case *corev1.Service:
		return &o.ObjectMeta, nil
	case *corev1.ServiceAccount:
		return &o.ObjectMeta, nil
	case *appsv1.Deployment:
		return &o.ObjectMeta, nil
	case *appsv1.StatefulSet:
		return &o.ObjectMeta, nil
	case *monitoringv1.ServiceMonitor:
		return &o.ObjectMeta, nil
	case *monitoringv1.PrometheusRule:
		return &o.ObjectMeta, nil
	}
	return nil, fmt.Errorf("kind %T is registered but not checked by this validator", obj)
}

// Decode splits a YAML stream into documents and strictly decodes each into
// its Kubernetes type. Empty documents (only comments, as helm template
// writes between files) are skipped.
func Decode(source string, r io.Reader) ([]Object, []error) {
	var (
		objs []Object
		errs []error
	)
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for doc := 1; ; doc++ {
		data, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		where := fmt.Sprintf("%s: document %d", source, doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			break
		}
		var probe any
		if err := yaml.Unmarshal(data, &probe); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if probe == nil {
			continue
		}
		if _, ok := probe.(map[string]any); !ok {
			errs = append(errs, fmt.Errorf("%s: a manifest is a mapping, this is a %T", where, probe))
			continue
		}
		obj, gvk, err := strict.Decode(data, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if _, err := metaOf(obj); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", where, gvk, err))
			continue
		}
		// The serializer clears TypeMeta on typed objects; the checks and
		// the messages want the kind back.
		obj.GetObjectKind().SetGroupVersionKind(*gvk)
		objs = append(objs, Object{Source: where, Obj: obj})
	}
	return objs, errs
}

// Check runs the per-object checks on every object and the checks between
// them (selectors that select, ports and ConfigMaps that exist).
func Check(objs []Object) []error {
	var errs []error
	report := func(o Object, list field.ErrorList) {
		for _, e := range list {
			errs = append(errs, fmt.Errorf("%s: %s", o, e.Error()))
		}
	}
	seen := map[string]string{}
	for _, o := range objs {
		m, _ := metaOf(o.Obj)
		key := o.Obj.GetObjectKind().GroupVersionKind().Kind + "/" + m.Namespace + "/" + m.Name
		if first, ok := seen[key]; ok {
			errs = append(errs, fmt.Errorf("%s: the same object as %s", o, first))
		}
		seen[key] = o.Source
		report(o, checkObject(o.Obj))
	}
	return append(errs, checkBetween(objs)...)
}

var metadataPath = field.NewPath("metadata")

func checkMeta(m *metav1.ObjectMeta, nameCheck func(string) []string) field.ErrorList {
	var errs field.ErrorList
	if m.Name == "" {
		errs = append(errs, field.Required(metadataPath.Child("name"), ""))
	}
	for _, msg := range nameCheck(m.Name) {
		if m.Name != "" {
			errs = append(errs, field.Invalid(metadataPath.Child("name"), m.Name, msg))
		}
	}
	if m.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(m.Namespace) {
			errs = append(errs, field.Invalid(metadataPath.Child("namespace"), m.Namespace, msg))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(m.Labels, metadataPath.Child("labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(m.Annotations, metadataPath.Child("annotations"))...)
	return errs
}

func checkObject(obj runtime.Object) field.ErrorList {
	spec := field.NewPath("spec")
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		errs := checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain)
		for k := range o.Data {
			errs = append(errs, checkKey(field.NewPath("data").Key(k), k)...)
		}
		return errs
	case *corev1.Secret:
		errs := checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain)
		for k := range o.StringData {
			errs = append(errs, checkKey(field.NewPath("stringData").Key(k), k)...)
		}
		for k := range o.Data {
			errs = append(errs, checkKey(field.NewPath("data").Key(k), k)...)
		}
		return errs
	case *corev1.ServiceAccount:
		return checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain)
	case *corev1.Service:
		return append(checkMeta(&o.ObjectMeta, validation.IsDNS1035Label), checkService(&o.Spec, spec)...)
	case *appsv1.Deployment:
		errs := checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain)
		errs = append(errs, checkReplicas(o.Spec.Replicas, spec.Child("replicas"))...)
		return append(errs, checkPodTemplate(o.Spec.Selector, &o.Spec.Template, spec)...)
	case *appsv1.StatefulSet:
		errs := checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain)
		errs = append(errs, checkReplicas(o.Spec.Replicas, spec.Child("replicas"))...)
		switch o.Spec.PodManagementPolicy {
		case "", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
		default:
			errs = append(errs, field.NotSupported(spec.Child("podManagementPolicy"), o.Spec.PodManagementPolicy,
				[]appsv1.PodManagementPolicyType{appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement}))
		}
		return append(errs, checkPodTemplate(o.Spec.Selector, &o.Spec.Template, spec)...)
	case *monitoringv1.ServiceMonitor:
		return append(checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain), checkServiceMonitor(&o.Spec, spec)...)
	case *monitoringv1.PrometheusRule:
		return append(checkMeta(&o.ObjectMeta, validation.IsDNS1123Subdomain), checkPrometheusRule(&o.Spec, spec)...)
	}
	return nil
}

func checkKey(p *field.Path, k string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(k) {
		errs = append(errs, field.Invalid(p, k, msg))
	}
	return errs
}

func checkReplicas(r *int32, p *field.Path) field.ErrorList {
	if r != nil && *r < 0 {
		return field.ErrorList{field.Invalid(p, *r, "must be greater than or equal to 0")}
	}
	return nil
}

func checkPort(p *field.Path, port int32) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortNum(int(port)) {
		errs = append(errs, field.Invalid(p, port, msg))
	}
	return errs
}

// checkIntOrName checks a port given by number or by name; a name must be
// one of names (when names is not nil).
func checkIntOrName(p *field.Path, port intstr.IntOrString, names map[string]bool) field.ErrorList {
	if port.Type == intstr.Int {
		return checkPort(p, port.IntVal)
	}
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortName(port.StrVal) {
		errs = append(errs, field.Invalid(p, port.StrVal, msg))
	}
	if names != nil && !names[port.StrVal] && len(errs) == 0 {
		errs = append(errs, field.Invalid(p, port.StrVal, "no container port has this name"))
	}
	return errs
}

func checkService(s *corev1.ServiceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if len(s.Ports) == 0 {
		errs = append(errs, field.Required(p.Child("ports"), ""))
	}
	names := map[string]bool{}
	for i, port := range s.Ports {
		pp := p.Child("ports").Index(i)
		if port.Name == "" && len(s.Ports) > 1 {
			errs = append(errs, field.Required(pp.Child("name"), "when there are several ports"))
		}
		if port.Name != "" {
			for _, msg := range validation.IsDNS1123Label(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if names[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		errs = append(errs, checkPort(pp.Child("port"), port.Port)...)
		if port.TargetPort != (intstr.IntOrString{}) {
			errs = append(errs, checkIntOrName(pp.Child("targetPort"), port.TargetPort, nil)...)
		}
		switch port.Protocol {
		case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}))
		}
	}
	return errs
}

func checkPodTemplate(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		errs = append(errs, field.Required(spec.Child("selector"), "an empty selector would select every pod"))
	} else if s, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		errs = append(errs, field.Invalid(spec.Child("selector"), sel, err.Error()))
	} else if !s.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), t.Labels, "does not match spec.selector"))
	}
	errs = append(errs, metav1validation.ValidateLabels(t.Labels, spec.Child("template", "metadata", "labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, spec.Child("template", "metadata", "annotations"))...)
	return append(errs, checkPodSpec(&t.Spec, spec.Child("template", "spec"))...)
}

func checkPodSpec(s *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i, v := range s.Volumes {
		vp := p.Child("volumes").Index(i)
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			errs = append(errs, field.Invalid(vp.Child("name"), v.Name, msg))
		}
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		volumes[v.Name] = true
		errs = append(errs, checkVolumeSource(&v.VolumeSource, vp)...)
	}
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := map[string]bool{}
	for i := range s.Containers {
		c := &s.Containers[i]
		cp := p.Child("containers").Index(i)
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
		}
		if names[c.Name] {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		}
		names[c.Name] = true
		errs = append(errs, checkContainer(c, volumes, cp)...)
	}
	return errs
}

func checkVolumeSource(v *corev1.VolumeSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	for _, set := range []bool{v.ConfigMap != nil, v.Secret != nil, v.Projected != nil, v.EmptyDir != nil, v.HostPath != nil, v.PersistentVolumeClaim != nil, v.DownwardAPI != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, field.Invalid(p, "", fmt.Sprintf("want exactly one volume source (this validator knows configMap, secret, projected, emptyDir, hostPath, persistentVolumeClaim, downwardAPI), found %d", n)))
	}
	checkItems := func(ip *field.Path, items []corev1.KeyToPath) {
		for j, it := range items {
			if it.Key == "" {
				errs = append(errs, field.Required(ip.Index(j).Child("key"), ""))
			}
			if it.Path == "" || path.IsAbs(it.Path) || strings.Split(it.Path, "/")[0] == ".." || strings.Contains(it.Path, "/../") {
				errs = append(errs, field.Invalid(ip.Index(j).Child("path"), it.Path, "must be a relative path without '..'"))
			}
		}
	}
	if v.Projected != nil {
		for i, src := range v.Projected.Sources {
			sp := p.Child("projected", "sources").Index(i)
			switch {
			case src.ConfigMap != nil && src.Secret == nil && src.DownwardAPI == nil && src.ServiceAccountToken == nil:
				checkItems(sp.Child("configMap", "items"), src.ConfigMap.Items)
			case src.Secret != nil && src.ConfigMap == nil && src.DownwardAPI == nil && src.ServiceAccountToken == nil:
				checkItems(sp.Child("secret", "items"), src.Secret.Items)
			case src.DownwardAPI != nil && src.ConfigMap == nil && src.Secret == nil && src.ServiceAccountToken == nil:
			case src.ServiceAccountToken != nil && src.ConfigMap == nil && src.Secret == nil && src.DownwardAPI == nil:
			default:
				errs = append(errs, field.Invalid(sp, "", "want exactly one of configMap, secret, downwardAPI, serviceAccountToken"))
			}
		}
	}
	if v.ConfigMap != nil {
		checkItems(p.Child("configMap", "items"), v.ConfigMap.Items)
	}
	if v.Secret != nil {
		checkItems(p.Child("secret", "items"), v.Secret.Items)
	}
	return errs
}

func checkContainer(c *corev1.Container, volumes map[string]bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Image == "" || strings.TrimSpace(c.Image) != c.Image || strings.ContainsAny(c.Image, " \t\n") {
		errs = append(errs, field.Invalid(p.Child("image"), c.Image, "must be set, without spaces"))
	}
	ports := map[string]bool{}
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		errs = append(errs, checkPort(pp.Child("containerPort"), port.ContainerPort)...)
		if port.Name != "" {
			for _, msg := range validation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if ports[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			ports[port.Name] = true
		}
	}
	for i, e := range c.Env {
		ep := p.Child("env").Index(i)
		for _, msg := range validation.IsEnvVarName(e.Name) {
			errs = append(errs, field.Invalid(ep.Child("name"), e.Name, msg))
		}
		if e.ValueFrom != nil && e.Value != "" {
			errs = append(errs, field.Invalid(ep, e.Name, "value and valueFrom are exclusive"))
		}
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "" {
			errs = append(errs, field.Required(ep.Child("valueFrom", "fieldRef", "fieldPath"), ""))
		}
	}
	for name, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
		if probe == nil {
			continue
		}
		pp := p.Child(name)
		h := probe.ProbeHandler
		n := 0
		for _, set := range []bool{h.HTTPGet != nil, h.TCPSocket != nil, h.Exec != nil, h.GRPC != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, field.Invalid(pp, "", fmt.Sprintf("want exactly one of httpGet, tcpSocket, exec, grpc, found %d", n)))
		}
		if h.HTTPGet != nil {
			errs = append(errs, checkIntOrName(pp.Child("httpGet", "port"), h.HTTPGet.Port, ports)...)
			if !strings.HasPrefix(h.HTTPGet.Path, "/") {
				errs = append(errs, field.Invalid(pp.Child("httpGet", "path"), h.HTTPGet.Path, "must be an absolute path"))
			}
		}
		if h.TCPSocket != nil {
			errs = append(errs, checkIntOrName(pp.Child("tcpSocket", "port"), h.TCPSocket.Port, ports)...)
		}
	}
	mounts := map[string]bool{}
	for i, m := range c.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if !volumes[m.Name] {
			errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
		}
		if !path.IsAbs(m.MountPath) {
			errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be an absolute path"))
		}
		if mounts[m.MountPath] {
			errs = append(errs, field.Duplicate(mp.Child("mountPath"), m.MountPath))
		}
		mounts[m.MountPath] = true
	}
	for res, limit := range c.Resources.Limits {
		if req, ok := c.Resources.Requests[res]; ok && req.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(p.Child("resources", "requests").Key(string(res)), req.String(), "must be less than or equal to the limit "+limit.String()))
		}
	}
	return errs
}

// promDuration is the pattern of monitoringv1.Duration in the operator's CRDs.
var promDuration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

func checkDuration(p *field.Path, d string) field.ErrorList {
	if !promDuration.MatchString(d) {
		return field.ErrorList{field.Invalid(p, d, "not a Prometheus duration such as 30s, 1m or 1h30m")}
	}
	return nil
}

func checkServiceMonitor(s *monitoringv1.ServiceMonitorSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Selector.MatchLabels) == 0 && len(s.Selector.MatchExpressions) == 0 {
		errs = append(errs, field.Required(p.Child("selector"), "an empty selector would select every Service"))
	}
	if len(s.Endpoints) == 0 {
		errs = append(errs, field.Required(p.Child("endpoints"), ""))
	}
	for i, ep := range s.Endpoints {
		epp := p.Child("endpoints").Index(i)
		if ep.Port == "" && ep.TargetPort == nil {
			errs = append(errs, field.Required(epp.Child("port"), "or targetPort"))
		}
		errs = append(errs, checkDuration(epp.Child("interval"), string(ep.Interval))...)
		errs = append(errs, checkDuration(epp.Child("scrapeTimeout"), string(ep.ScrapeTimeout))...)
	}
	return errs
}

func checkPrometheusRule(s *monitoringv1.PrometheusRuleSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Groups) == 0 {
		errs = append(errs, field.Required(p.Child("groups"), ""))
	}
	groups := map[string]bool{}
	for i, g := range s.Groups {
		gp := p.Child("groups").Index(i)
		if g.Name == "" {
			errs = append(errs, field.Required(gp.Child("name"), ""))
		}
		if groups[g.Name] {
			errs = append(errs, field.Duplicate(gp.Child("name"), g.Name))
		}
		groups[g.Name] = true
		for j, r := range g.Rules {
			rp := gp.Child("rules").Index(j)
			if (r.Alert == "") == (r.Record == "") {
				errs = append(errs, field.Invalid(rp, "", "want exactly one of alert and record"))
			}
			if r.Expr.String() == "" || r.Expr.String() == "0" && r.Expr.Type == intstr.Int {
				errs = append(errs, field.Required(rp.Child("expr"), ""))
			}
			if r.For != nil {
				errs = append(errs, checkDuration(rp.Child("for"), string(*r.For))...)
			}
			errs = append(errs, metav1validation.ValidateLabels(r.Labels, rp.Child("labels"))...)
		}
	}
	return errs
}

// podTemplates returns the pod templates of the workloads among objs.
func podTemplates(objs []Object) map[string]*corev1.PodTemplateSpec {
	pods := map[string]*corev1.PodTemplateSpec{}
	for _, o := range objs {
		switch w := o.Obj.(type) {
		case *appsv1.Deployment:
			pods[o.String()] = &w.Spec.Template
		case *appsv1.StatefulSet:
			pods[o.String()] = &w.Spec.Template
		}
	}
	return pods
}

// checkBetween checks what one object says about another in the same set:
// a Service selects some workload's pods and its named target ports exist
// there; a ServiceMonitor selects a Service and scrapes one of its ports;
// a workload mounts ConfigMaps of the set and a StatefulSet names a headless
// Service of it. Secrets may live outside the set: they are created apart
// from the manifests so that an apply cannot overwrite them.
func checkBetween(objs []Object) []error {
	var errs []error
	pods := podTemplates(objs)
	services := map[string]*corev1.Service{}
	configMaps := map[string]bool{}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *corev1.Service:
			services[v.Name] = v
		case *corev1.ConfigMap:
			configMaps[v.Name] = true
		}
	}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *corev1.Service:
			if len(v.Spec.Selector) == 0 || v.Spec.Type == corev1.ServiceTypeExternalName {
				continue
			}
			selected := false
			for _, t := range pods {
				if !labels.SelectorFromSet(v.Spec.Selector).Matches(labels.Set(t.Labels)) {
					continue
				}
				selected = true
				ports := map[string]bool{}
				for _, c := range t.Spec.Containers {
					for _, p := range c.Ports {
						ports[p.Name] = true
					}
				}
				for _, p := range v.Spec.Ports {
					if p.TargetPort.Type == intstr.String && !ports[p.TargetPort.StrVal] {
						errs = append(errs, fmt.Errorf("%s: targetPort %q is not a container port of the pods it selects", o, p.TargetPort.StrVal))
					}
				}
			}
			if !selected {
				errs = append(errs, fmt.Errorf("%s: selector %v matches no workload's pods", o, v.Spec.Selector))
			}
		case *monitoringv1.ServiceMonitor:
			sel, err := metav1.LabelSelectorAsSelector(&v.Spec.Selector)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: spec.selector: %w", o, err))
				continue
			}
			var matched []*corev1.Service
			for _, s := range services {
				if sel.Matches(labels.Set(s.Labels)) {
					matched = append(matched, s)
				}
			}
			if len(matched) == 0 {
				errs = append(errs, fmt.Errorf("%s: selector matches no Service", o))
			}
			for _, ep := range v.Spec.Endpoints {
				if ep.Port == "" {
					continue
				}
				for _, s := range matched {
					found := false
					for _, p := range s.Spec.Ports {
						found = found || p.Name == ep.Port
					}
					if !found {
						errs = append(errs, fmt.Errorf("%s: endpoint port %q is not a port of Service %s", o, ep.Port, s.Name))
					}
				}
			}
		}
	}
	for _, o := range objs {
		var t *corev1.PodTemplateSpec
		switch w := o.Obj.(type) {
		case *appsv1.Deployment:
			t = &w.Spec.Template
		case *appsv1.StatefulSet:
			t = &w.Spec.Template
			if s, ok := services[w.Spec.ServiceName]; w.Spec.ServiceName != "" && (!ok || s.Spec.ClusterIP != corev1.ClusterIPNone) {
				errs = append(errs, fmt.Errorf("%s: spec.serviceName %q is not a headless Service of the set", o, w.Spec.ServiceName))
			}
		default:
			continue
		}
		for _, v := range t.Spec.Volumes {
			var names []string
			if v.ConfigMap != nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional) {
				names = append(names, v.ConfigMap.Name)
			}
			if v.Projected != nil {
				for _, src := range v.Projected.Sources {
					if src.ConfigMap != nil && (src.ConfigMap.Optional == nil || !*src.ConfigMap.Optional) {
						names = append(names, src.ConfigMap.Name)
					}
				}
			}
			for _, n := range names {
				if !configMaps[n] {
					errs = append(errs, fmt.Errorf("%s: volume %s mounts ConfigMap %q, which is not in the set", o, v.Name, n))
				}
			}
		}
	}
	return errs
}
