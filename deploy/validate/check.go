package main

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

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
