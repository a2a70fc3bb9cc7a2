{{/*
A service's migrations: a Job run by Helm before install and upgrade (hook), so a new version's
pods start on an up-to-date schema and never migrate themselves (`serve --no-migrate-first`).
Its pods carry the component "<name>-migrations" (never selected by the service's Service or
PDB) and may only reach DNS and PostgreSQL. The hook's ServiceAccount is the namespace's
default one (the chart's own do not exist yet before an install), without a token.
*/}}
{{- define "camwatch.migrations" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $job := dict "root" $root "name" (printf "%s-migrations" .name) "values" .values -}}
{{- $hook := dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" "0" "helm.sh/hook-delete-policy" "before-hook-creation,hook-succeeded" -}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "camwatch.componentName" $job }}
  labels:
    {{- include "camwatch.labels" $job | nindent 4 }}
  annotations:
    {{- toYaml $hook | nindent 4 }}
spec:
  backoffLimit: {{ $v.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $v.migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "camwatch.labels" $job | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.securityContext.enabled }}
      securityContext:
        {{- toYaml $v.securityContext.pod | nindent 8 }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "camwatch.image" . | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          args: ["migrate"]
          env:
            {{- include "camwatch.env" . | nindent 12 }}
          {{- if $v.securityContext.enabled }}
          securityContext:
            {{- toYaml $v.securityContext.container | nindent 12 }}
          {{- end }}
          {{- with .values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            {{- include "camwatch.volumeMounts" . | nindent 12 }}
      volumes:
        {{- include "camwatch.volumes" . | nindent 8 }}
{{- if $v.networkPolicies.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "camwatch.componentName" $job }}
  labels:
    {{- include "camwatch.labels" $job | nindent 4 }}
  annotations:
    {{- toYaml (merge (dict "helm.sh/hook-weight" "-1") $hook) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "camwatch.selectorLabels" $job | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  egress:
    {{- include "camwatch.commonEgress" $root | nindent 4 }}
    {{- include "camwatch.egressRule" $v.networkPolicies.postgresql | nindent 4 }}
{{- end }}
{{- end -}}
