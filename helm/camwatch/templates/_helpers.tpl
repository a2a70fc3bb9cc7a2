{{/*
Names, labels and the image of one component. A "component context" is a dict with
  root   - the chart's root context (.)
  name   - the component: access, registry, incidents, risk, evidence or gateway
  values - the component's block of values (.Values.services.<name> or .Values.gateway)
*/}}

{{- define "camwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "camwatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<component>: the name of a component's Deployment, Service, ServiceAccount. */}}
{{- define "camwatch.componentName" -}}
{{- printf "%s-%s" (include "camwatch.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "camwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "camwatch.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "camwatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "camwatch.selectorLabels" . }}
app.kubernetes.io/part-of: camwatch
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* <image.registry>/camwatch-<component>:<tag>, unless the component sets its own. */}}
{{- define "camwatch.image" -}}
{{- $image := .values.image | default dict -}}
{{- $repository := $image.repository | default (printf "%s/camwatch-%s" .root.Values.image.registry .name) -}}
{{- $tag := $image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{/*
Where the SPA may come back to after a sign-in (access's ACCESS_SPA_REDIRECT_URIS, a JSON
list): <publicUrl>/callback, the SPA being served where browsers reach the gateway (the
ingress host). The access block's env.ACCESS_SPA_REDIRECT_URIS replaces it (more origins).
*/}}
{{- define "camwatch.spaRedirectUris" -}}
{{- list (printf "%s/callback" (trimSuffix "/" (required "publicUrl is required" .Values.publicUrl))) | toJson -}}
{{- end -}}

{{/*
The environment of a component's containers (init container included). Common variables are
unprefixed; host, port and database are prefixed with the component's name (ACCESS_PORT...).
Secrets come from secretKeyRef only.
*/}}
{{- define "camwatch.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $prefix := upper .name -}}
- name: ENVIRONMENT
  value: {{ $v.environment | quote }}
- name: {{ $prefix }}_HOST
  value: "0.0.0.0"
- name: {{ $prefix }}_PORT
  value: {{ .values.port | quote }}
- name: NATS_URL
  value: {{ $v.nats.url | quote }}
- name: NATS_STREAM_REPLICAS
  value: {{ $v.nats.streamReplicas | quote }}
- name: OIDC_ISSUER
  value: {{ printf "%s/api/access" (trimSuffix "/" $v.publicUrl) | quote }}
- name: JWKS_URL
  value: {{ printf "http://%s:%v/.well-known/jwks.json" (include "camwatch.componentName" (dict "root" $root "name" "access")) $v.services.access.port | quote }}
- name: TOKEN_AUDIENCE
  value: {{ $v.tokenAudience | quote }}
- name: LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: LOG_JSON
  value: {{ $v.logJson | quote }}
{{- if $v.workingDays.swapsConfigMap }}
- name: SWAPS_FILE
  value: /etc/camwatch/working-days/swaps.toml
{{- end }}
- name: AUDIT_HMAC_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.existingSecret: name the Secret holding the audit HMAC key" $v.secrets.existingSecret }}
      key: {{ $v.secrets.auditHmacKeyKey }}
{{- if $v.opentelemetry.enabled }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "opentelemetry.endpoint is required when opentelemetry.enabled" $v.opentelemetry.endpoint | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.namespace=camwatch,deployment.environment=%s,k8s.namespace.name=%s" $v.environment $root.Release.Namespace | quote }}
{{- end }}
{{- with .values.database }}
- name: {{ $prefix }}_DATABASE_URL
  value: {{ required "database.url is required" .url | quote }}
- name: {{ $prefix }}_DATABASE_SCHEMA
  value: {{ .schema | quote }}
{{- if .passwordSecret }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .passwordSecret }}
      key: {{ .passwordKey | default "password" }}
{{- end }}
{{- end }}
{{- if .values.s3 }}
- name: S3_ENDPOINT
  value: {{ $v.s3.endpoint | quote }}
- name: S3_SECURE
  value: {{ $v.s3.secure | quote }}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "s3.existingSecret: name the Secret holding the S3 keys" $v.s3.existingSecret }}
      key: {{ $v.s3.accessKeyKey }}
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.s3.existingSecret }}
      key: {{ $v.s3.secretKeyKey }}
{{- end }}
{{- if and (eq .name "access") (not (hasKey .values.env "ACCESS_SPA_REDIRECT_URIS")) }}
- name: ACCESS_SPA_REDIRECT_URIS
  value: {{ include "camwatch.spaRedirectUris" $root | quote }}
{{- end }}
{{- if eq .name "gateway" }}
- name: GATEWAY_RATE_LIMIT_STORE
  value: {{ .values.rateLimitStore | default "memory" | quote }}
{{- range $service, $cfg := $v.services }}
{{- if $cfg.enabled }}
- name: {{ printf "GATEWAY_UPSTREAM_%s" (upper $service) }}
  value: {{ printf "http://%s:%v" (include "camwatch.componentName" (dict "root" $root "name" $service)) $cfg.port | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $value := .values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- with .values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
