{{/* Name of a component's objects: `<release>-<component>`. */}}
{{- define "accord.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object of a component. */}}
{{- define "accord.labels" -}}
app.kubernetes.io/name: accord
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Selector labels: stable across upgrades. */}}
{{- define "accord.selectorLabels" -}}
app.kubernetes.io/name: accord
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image of every container; the tag defaults to appVersion. */}}
{{- define "accord.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* A duration value (Go syntax, non-negative as values.schema.json requires: `1h30m`, `250ms`)
in milliseconds, for the checks that compare two durations before anything is installed; the
daemons parse the same strings themselves (lib/time/duration.ts). */}}
{{- define "accord.durationMs" -}}
{{- $perUnit := dict "ns" 0.000001 "us" 0.001 "µs" 0.001 "μs" 0.001 "ms" 1.0 "s" 1000.0 "m" 60000.0 "h" 3600000.0 -}}
{{- $total := 0.0 -}}
{{- range regexFindAll `([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)` (toString .) -1 -}}
{{- $number := regexFind `^[0-9.]+` . -}}
{{- $total = addf $total (mulf (float64 $number) (get $perUnit (trimPrefix $number .))) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/* The CA Secret of the zone PKI. */}}
{{- define "accord.pkiCaSecretName" -}}
{{- default (printf "%s-pki-ca" .Release.Name) .Values.pki.caSecretName -}}
{{- end -}}

{{/* Pod-level hardening, the same for every component (not configurable). */}}
{{- define "accord.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level hardening, the same for every container (not configurable). */}}
{{- define "accord.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Liveness and readiness on the ops server's /healthz and /readyz (lib/http/ops-server.ts). */}}
{{- define "accord.probes" -}}
livenessProbe:
  httpGet: { path: /healthz, port: ops }
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: ops }
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 3
startupProbe:
  httpGet: { path: /healthz, port: ops }
  periodSeconds: 2
  failureThreshold: 30
{{- end -}}

{{/* Pull secrets of every pod. */}}
{{- define "accord.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}
