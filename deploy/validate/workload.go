package main

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The checks of a pod template: its spec, volumes and containers.

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
