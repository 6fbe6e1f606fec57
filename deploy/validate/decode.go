package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
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
