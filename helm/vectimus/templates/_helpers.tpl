{{/*
Names, labels and the pieces every Vectimus workload shares.
*/}}

{{- define "vectimus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vectimus.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of one component's resources: <fullname>-<component>. */}}
{{- define "vectimus.componentName" -}}
{{- printf "%s-%s" (include "vectimus.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vectimus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vectimus.labels" -}}
helm.sh/chart: {{ include "vectimus.chart" . }}
{{ include "vectimus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "vectimus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vectimus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: call with (dict "root" $ "component" "gateway"). */}}
{{- define "vectimus.componentLabels" -}}
{{ include "vectimus.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vectimus.componentSelectorLabels" -}}
{{ include "vectimus.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vectimus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vectimus.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* One component's image: call with (dict "root" $ "image" .Values.gateway.image). */}}
{{- define "vectimus.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag }}
{{- if .root.Values.image.registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{- define "vectimus.apiKeysSecretName" -}}
{{- default (printf "%s-api-keys" (include "vectimus.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{- define "vectimus.apiKeysSecretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}api-keys{{ end }}
{{- end }}

{{- define "vectimus.signingKeySecretName" -}}
{{- default (printf "%s-signing-key" (include "vectimus.fullname" .)) .Values.signingKey.existingSecret }}
{{- end }}

{{- define "vectimus.signingKeySecretKey" -}}
{{- if .Values.signingKey.existingSecret }}{{ .Values.signingKey.existingSecretKey }}{{ else }}signing-key.pem{{ end }}
{{- end }}

{{- define "vectimus.hasSigningKeySecret" -}}
{{- if or .Values.signingKey.existingSecret .Values.signingKey.pem }}true{{ end }}
{{- end }}

{{- define "vectimus.policiesConfigMapName" -}}
{{- default (printf "%s-policies" (include "vectimus.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{- define "vectimus.hasCustomPolicies" -}}
{{- if or .Values.policies.existingConfigMap .Values.policies.custom }}true{{ end }}
{{- end }}

{{- define "vectimus.redisSecretName" -}}
{{- default (printf "%s-redis" (include "vectimus.fullname" .)) .Values.redis.external.existingSecret }}
{{- end }}

{{- define "vectimus.redisSecretKey" -}}
{{- if .Values.redis.external.existingSecret }}{{ .Values.redis.external.existingSecretKey }}{{ else }}redis-url{{ end }}
{{- end }}

{{/*
VECTIMUS_REDIS_URL: the in-chart Redis's Service, or the external URL from a Secret (never a
literal in the pod spec, since it may carry a password).
*/}}
{{- define "vectimus.redisUrlEnv" -}}
- name: VECTIMUS_REDIS_URL
{{- if .Values.redis.internal.enabled }}
  value: {{ printf "redis://%s:6379/0" (include "vectimus.componentName" (dict "root" . "component" "redis")) | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ include "vectimus.redisSecretName" . }}
      key: {{ include "vectimus.redisSecretKey" . }}
{{- end }}
{{- end }}

{{/* The environment every Vectimus container shares (the values' env map last). */}}
{{- define "vectimus.commonEnv" -}}
{{ include "vectimus.redisUrlEnv" . }}
- name: VECTIMUS_HOME
  value: /var/lib/vectimus/home
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* The pod-level fields every Vectimus pod shares; call with (dict "root" $ "values" .Values.gateway). */}}
{{- define "vectimus.podCommon" -}}
serviceAccountName: {{ include "vectimus.serviceAccountName" .root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds }}
{{- with .root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
An exec probe running `vectimus health` for one worker; call with
(dict "service" "evaluator" "probe" .Values.evaluator.probes.liveness). `vectimus health`
reads VECTIMUS_REDIS_URL from the container's environment; --this-host counts only the
heartbeat of this pod's own worker, not any replica's.
*/}}
{{- define "vectimus.workerProbe" -}}
exec:
  command: ["vectimus", "health", "--service", {{ .service | quote }}, "--this-host"]
periodSeconds: {{ .probe.periodSeconds }}
{{- with .probe.timeoutSeconds }}
timeoutSeconds: {{ . }}
{{- end }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/* The checksum of the policies, so that the pods restart when they change. */}}
{{- define "vectimus.policiesChecksum" -}}
{{- if .Values.policies.existingConfigMap }}
{{- $existing := lookup "v1" "ConfigMap" .Release.Namespace .Values.policies.existingConfigMap }}
{{- printf "%s %s" .Values.policies.existingConfigMap (toJson (default dict $existing.data)) | sha256sum }}
{{- else }}
{{- toJson .Values.policies.custom | sha256sum }}
{{- end }}
{{- end }}

{{/* The policies volume (the ConfigMap, one directory per pack), when custom packs are set. */}}
{{- define "vectimus.policiesVolume" -}}
{{- if include "vectimus.hasCustomPolicies" . }}
- name: policies
  configMap:
    name: {{ include "vectimus.policiesConfigMapName" . }}
    {{- if not .Values.policies.existingConfigMap }}
    items:
      {{- range $pack, $files := .Values.policies.custom }}
      {{- range $file, $_ := $files }}
      - key: {{ printf "%s.%s" $pack $file }}
        path: {{ printf "%s/%s" $pack $file }}
      {{- end }}
      {{- end }}
    {{- end }}
{{- end }}
{{- end }}

{{/*
Where the gateway and the evaluators get their policies: the directory at
/etc/vectimus/policies (the packs baked into the images, or the custom ones mounted over them),
or a signed bundle they poll. A bundle and a policy directory are alternatives, so beside a
bundle VECTIMUS_POLICY_DIR, which the images set, is emptied: an empty variable is an unset one.
*/}}
{{- define "vectimus.policiesEnv" -}}
{{- $bundle := .Values.policies.bundle }}
{{- if $bundle.url -}}
- name: VECTIMUS_POLICY_DIR
  value: ""
- name: VECTIMUS_BUNDLE_URL
  value: {{ $bundle.url | quote }}
- name: VECTIMUS_BUNDLE_POLL_S
  value: {{ $bundle.pollSeconds | quote }}
- name: VECTIMUS_TRUSTED_KEYS
{{- if $bundle.trustedKeysConfigMap }}
  valueFrom:
    configMapKeyRef:
      name: {{ $bundle.trustedKeysConfigMap }}
      key: {{ $bundle.trustedKeysConfigMapKey }}
{{- else }}
  value: {{ join "," $bundle.trustedKeys | quote }}
{{- end }}
{{- else -}}
- name: VECTIMUS_POLICY_DIR
  value: /etc/vectimus/policies
{{- end }}
{{- end }}

{{- define "vectimus.policiesMount" -}}
{{- if include "vectimus.hasCustomPolicies" . }}
- name: policies
  mountPath: /etc/vectimus/policies
  readOnly: true
{{- end }}
{{- end }}
