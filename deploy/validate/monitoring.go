package main

import (
	"regexp"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The checks of the prometheus-operator objects: ServiceMonitor and
// PrometheusRule.

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
