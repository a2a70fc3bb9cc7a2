{{/*
Network policies. networkpolicy.yaml denies all traffic to and from the release's pods; each
component then gets one policy allowing only what it needs (see values.yaml, networkPolicies).
*/}}

{{/* The release's pods, whatever their component. */}}
{{- define "camwatch.releasePods" -}}
app.kubernetes.io/name: {{ include "camwatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* One egress rule from a {ports, to, protocols} dict; no `to` allows any destination. */}}
{{- define "camwatch.egressRule" -}}
- ports:
    {{- $protocols := .protocols | default (list "TCP") }}
    {{- range $port := .ports }}
    {{- range $protocols }}
    - port: {{ $port }}
      protocol: {{ . }}
    {{- end }}
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* DNS, and traces when they are exported: every pod of the release. */}}
{{- define "camwatch.commonEgress" -}}
{{- $v := .Values -}}
{{ include "camwatch.egressRule" (dict "ports" $v.networkPolicies.dns.ports "to" $v.networkPolicies.dns.to "protocols" (list "UDP" "TCP")) }}
{{- if $v.opentelemetry.enabled }}
{{ include "camwatch.egressRule" $v.networkPolicies.opentelemetry }}
{{- end }}
{{- end -}}

{{/* A component's policy: who may call it, and what it may call. */}}
{{- define "camwatch.networkPolicy" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $np := $v.networkPolicies -}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "camwatch.componentName" . }}
  labels:
    {{- include "camwatch.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "camwatch.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - ports:
        - port: http
          protocol: TCP
      from:
        {{- if eq .name "gateway" }}
        {{- toYaml $np.ingressFrom | nindent 8 }}
        {{- else if eq .name "access" }}
        # Every pod of the release fetches access's JWKS; the gateway routes /api/access.
        - podSelector:
            matchLabels:
              {{- include "camwatch.releasePods" $root | nindent 14 }}
        {{- else }}
        - podSelector:
            matchLabels:
              {{- include "camwatch.selectorLabels" (dict "root" $root "name" "gateway") | nindent 14 }}
        {{- end }}
  egress:
    {{- include "camwatch.commonEgress" $root | nindent 4 }}
    {{- if eq .name "gateway" }}
    {{- if eq (.values.rateLimitStore | default "memory") "nats" }}
    {{- include "camwatch.egressRule" $np.nats | nindent 4 }}
    {{- end }}
    # The services (each one's policy admits only the gateway, access all of the release).
    - ports:
        - port: http
          protocol: TCP
      to:
        - podSelector:
            matchLabels:
              {{- include "camwatch.releasePods" $root | nindent 14 }}
    {{- else }}
    # access's JWKS (the tokens' signing keys).
    - ports:
        - port: http
          protocol: TCP
      to:
        - podSelector:
            matchLabels:
              {{- include "camwatch.selectorLabels" (dict "root" $root "name" "access") | nindent 14 }}
    {{- include "camwatch.egressRule" $np.nats | nindent 4 }}
    {{- if .values.database }}
    {{- include "camwatch.egressRule" $np.postgresql | nindent 4 }}
    {{- end }}
    {{- if .values.s3 }}
    {{- include "camwatch.egressRule" $np.s3 | nindent 4 }}
    {{- end }}
    {{- end }}
{{- end -}}
