{{/*
Everything one deployable needs: ServiceAccount, Service, Deployment, HPA, PDB, its
NetworkPolicy (camwatch.networkPolicy) and, when it owns a database, its migrations Job
(camwatch.migrations). Each <component>.yaml includes "camwatch.service" with the component
context (root, name, values).
*/}}
{{- define "camwatch.service" -}}
{{- if .values.enabled }}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $ctx := . -}}
{{- $fullname := include "camwatch.componentName" . -}}
{{- $image := include "camwatch.image" . -}}
{{- if $v.serviceAccount.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "camwatch.labels" $ctx | nindent 4 }}
automountServiceAccountToken: false
{{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "camwatch.labels" $ctx | nindent 4 }}
spec:
  type: {{ dig "service" "type" "ClusterIP" .values }}
  selector:
    {{- include "camwatch.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ dig "service" "port" .values.port .values }}
      targetPort: http
      protocol: TCP
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "camwatch.labels" $ctx | nindent 4 }}
spec:
  {{- if not (dig "autoscaling" "enabled" false .values) }}
  replicas: {{ .values.replicas | default 1 }}
  {{- end }}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      {{- include "camwatch.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "camwatch.labels" $ctx | nindent 8 }}
      {{- with $v.podDefaults.annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ if $v.serviceAccount.create }}{{ $fullname }}{{ else }}default{{ end }}
      automountServiceAccountToken: false
      # Kubernetes would otherwise inject ACCESS_PORT=tcp://... style variables, which collide
      # with the services' own <SERVICE>_PORT settings.
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.securityContext.enabled }}
      securityContext:
        {{- toYaml $v.securityContext.pod | nindent 8 }}
      {{- end }}
      {{- with $v.podDefaults.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.podDefaults.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.podDefaults.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.podDefaults.topologySpread }}
      {{- if .enabled }}
      topologySpreadConstraints:
        - maxSkew: {{ .maxSkew }}
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: {{ .zone }}
          labelSelector:
            matchLabels:
              {{- include "camwatch.selectorLabels" $ctx | nindent 14 }}
        - maxSkew: {{ .maxSkew }}
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: {{ .node }}
          labelSelector:
            matchLabels:
              {{- include "camwatch.selectorLabels" $ctx | nindent 14 }}
      {{- end }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ $image | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          {{- if .values.database }}
          args: ["serve", "--no-migrate-first"]
          {{- else }}
          args: ["serve"]
          {{- end }}
          ports:
            - name: http
              containerPort: {{ .values.port }}
              protocol: TCP
          env:
            {{- include "camwatch.env" $ctx | nindent 12 }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: {{ .values.readinessPath | default "/readyz" }}
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          {{- if $v.securityContext.enabled }}
          securityContext:
            {{- toYaml $v.securityContext.container | nindent 12 }}
          {{- end }}
          {{- with .values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            {{- include "camwatch.volumeMounts" $ctx | nindent 12 }}
      volumes:
        {{- include "camwatch.volumes" $ctx | nindent 8 }}
{{- with .values.autoscaling }}
{{- if .enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "camwatch.labels" $ctx | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicas: {{ .minReplicas }}
  maxReplicas: {{ .maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .targetCPUUtilizationPercentage }}
{{- end }}
{{- end }}
{{- with .values.podDisruptionBudget }}
{{- if .enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "camwatch.labels" $ctx | nindent 4 }}
spec:
  maxUnavailable: {{ .maxUnavailable }}
  selector:
    matchLabels:
      {{- include "camwatch.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- end }}
{{- if $v.networkPolicies.enabled }}
{{ include "camwatch.networkPolicy" $ctx }}
{{- end }}
{{- if .values.database }}
{{ include "camwatch.migrations" $ctx }}
{{- end }}
{{- end }}
{{- end -}}

{{/* /tmp (writable), the component's secret files and the working-day swaps (read-only). */}}
{{- define "camwatch.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- range .values.secretFiles }}
- name: {{ .name }}
  mountPath: {{ .mountPath }}
  readOnly: true
{{- end }}
{{- if .root.Values.workingDays.swapsConfigMap }}
- name: working-day-swaps
  mountPath: /etc/camwatch/working-days
  readOnly: true
{{- end }}
{{- end -}}

{{/* The volumes behind camwatch.volumeMounts; /tmp is the only writable place (the root
     filesystem is read-only). The swaps ConfigMap is mounted whole, not by subPath, so an
     operator's edit reaches the running pods and the services re-read it. */}}
{{- define "camwatch.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.podDefaults.tmpSizeLimit }}
{{- range .values.secretFiles }}
- name: {{ .name }}
  secret:
    secretName: {{ .secretName }}
    defaultMode: 0440
{{- end }}
{{- with .root.Values.workingDays.swapsConfigMap }}
- name: working-day-swaps
  configMap:
    name: {{ . }}
    items:
      - key: swaps.toml
        path: swaps.toml
{{- end }}
{{- end -}}
