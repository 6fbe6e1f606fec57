{{/* The release's object names: <release>-<chart>, or <release> when it already contains the chart name; 63 characters at most. */}}
{{- define "cce.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cce.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cce.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "cce.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cce.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default (printf "v%s" .Chart.AppVersion)) -}}
{{- end -}}

{{- define "cce.shards" -}}
{{- $s := int .Values.shards -}}
{{- if lt $s 1 -}}
{{- fail (printf "shards: %v, want 1 (one Deployment) or more (a StatefulSet of that many shards)" .Values.shards) -}}
{{- end -}}
{{- $s -}}
{{- end -}}

{{/*
yamlText: a value given as YAML text (rendered verbatim) or as a mapping
(rendered with toYaml), never merged with the chart's default; "" when
unset. The text must parse: a tab or a bad indent fails the render here,
not the pod at startup.
*/}}
{{- define "cce.yamlText" -}}
{{- $name := index . 0 -}}
{{- $v := index . 1 -}}
{{- if kindIs "map" $v -}}
{{- toYaml $v -}}
{{- else if $v -}}
{{- if not (kindIs "string" $v) -}}
{{- fail (printf "%s: a %s, want the file's YAML text (%s: |) or a mapping" $name (kindOf $v) $name) -}}
{{- end -}}
{{- $parsed := fromYaml $v -}}
{{- if hasKey $parsed "Error" -}}
{{- fail (printf "%s is not valid YAML: %s" $name $parsed.Error) -}}
{{- end -}}
{{- $v -}}
{{- end -}}
{{- end -}}

{{- define "cce.config" -}}
{{- $c := include "cce.yamlText" (list "config" .Values.config) -}}
{{- if and (not $c) (not .Values.existingConfigMap) -}}
{{- fail "config is empty: give the whole configuration file (--set-file config=./codearts_check_exporter.yml) or existingConfigMap" -}}
{{- end -}}
{{- $c -}}
{{- end -}}

{{- define "cce.webConfig" -}}
{{- include "cce.yamlText" (list "webConfig" .Values.webConfig) -}}
{{- end -}}

{{/* Whether the chart renders a ConfigMap: for config.yml, web-config.yml or both. */}}
{{- define "cce.ownConfigMap" -}}
{{- if or (not .Values.existingConfigMap) (include "cce.webConfig" .) }}true{{ end -}}
{{- end -}}

{{/*
probeKind: how the kubelet checks a path, given the web configuration
(values.yaml, livenessProbe, says why): "http", "https" or "tcp".
*/}}
{{- define "cce.probeKind" -}}
{{- $web := fromYaml (include "cce.webConfig" .) -}}
{{- $ownWebConfig := false -}}
{{- range .Values.extraArgs -}}
{{- if hasPrefix "--web.config.file" (toString .) -}}{{- $ownWebConfig = true -}}{{- end -}}
{{- end -}}
{{- if or $ownWebConfig $web.basic_auth_users -}}
tcp
{{- else if $web.tls_server_config -}}
https
{{- else -}}
http
{{- end -}}
{{- end -}}

{{/* probe: a probe of values (list root probeValues path) with the handler chosen by cce.probeKind unless the values give one. */}}
{{- define "cce.probe" -}}
{{- $root := index . 0 -}}
{{- $p := deepCopy (index . 1) -}}
{{- $path := index . 2 -}}
{{- if not (or $p.httpGet $p.tcpSocket $p.exec $p.grpc) -}}
{{- $kind := include "cce.probeKind" $root -}}
{{- if eq $kind "tcp" -}}
{{- $_ := set $p "tcpSocket" (dict "port" "http-metrics") -}}
{{- else -}}
{{- $_ := set $p "httpGet" (dict "path" $path "port" "http-metrics" "scheme" (upper $kind)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $p -}}
{{- end -}}
