#!/usr/bin/env bash
# Smoke test of the local control plane (usable by CI):
#   - Pod Security admission rejects a privileged pod in a `restricted` namespace;
#   - a compliant Deployment (2 replicas, maxUnavailable 0 / maxSurge 1,
#     progressDeadlineSeconds 30, readinessProbe, zone/host spread) rolls out;
#   - a faulty image stalls the rollout: Progressing=False/ProgressDeadlineExceeded
#     while ready replicas stay at 2;
#   - `kubectl rollout undo` brings it back to healthy;
#   - the platform.local/simulate=not-ready annotation keeps a pod un-Ready.
# Starts the cluster with cluster/up.sh (reusing a running one). With --down (or
# PLATFORM_SMOKE_DOWN=1) the cluster is deleted at the end.
# Ends with a "N passed, N failed" line; exit status is non-zero on any failure.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOWN="${PLATFORM_SMOKE_DOWN:-0}"
for arg in "$@"; do
  case "$arg" in
    --down) DOWN=1 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }

T0=$SECONDS
KUBECONFIG_FILE="$("$CLUSTER_DIR/up.sh" | tail -n 1)"
[[ "$KUBECONFIG_FILE" == "$KUBECONFIG_PATH" ]] || die "unexpected kubeconfig path '$KUBECONFIG_FILE'"
find_binaries
echo "# cluster up in $((SECONDS - T0))s: $KUBECONFIG_FILE"

NS="smoke-$(date +%s)-$RANDOM"
# These checks use simulated pods (any image, "faulty" images never Ready): with a real node, keep new pods
# off it (and on the KWOK nodes) meanwhile.
REAL_NODE=""
if kctl get node real-node >/dev/null 2>&1; then
  REAL_NODE=real-node
  kctl taint nodes "$REAL_NODE" platform.local/real=true:NoSchedule --overwrite >/dev/null
  kctl taint nodes -l type=kwok platform.local/simulated:NoSchedule- >/dev/null 2>&1 || true
fi
cleanup() {
  kctl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  if [[ -n "$REAL_NODE" && "$DOWN" != 1 ]]; then
    kctl taint nodes "$REAL_NODE" platform.local/real:NoSchedule- >/dev/null 2>&1 || true
    kctl taint nodes -l type=kwok platform.local/simulated=true:NoSchedule --overwrite >/dev/null 2>&1 || true
  fi
  if [[ "$DOWN" == 1 ]]; then "$CLUSTER_DIR/down.sh" || true; fi
}
trap cleanup EXIT

# --- version & components -----------------------------------------------------
server_version="$(kctl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n 1)"
if [[ "$server_version" == "$K8S_VERSION" ]]; then pass "server version is $server_version"
else fail "server version '$server_version' != $K8S_VERSION"; fi

zones="$(kctl get nodes -o jsonpath='{range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}' | sort -u | wc -l)"
nodes="$(kctl get nodes --no-headers | grep -c ' Ready ' || true)"
if (( nodes >= 3 && zones >= 2 )); then pass "$nodes Ready nodes in $zones zones"
else fail "expected >=3 Ready nodes in >=2 zones, got $nodes nodes in $zones zones"; fi

# --- Pod Security admission ---------------------------------------------------
kctl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
EOF
deadline=$((SECONDS + 60))
until kctl get serviceaccount default -n "$NS" >/dev/null 2>&1; do
  (( SECONDS < deadline )) || break
  sleep 0.5
done

if out="$(kctl apply -n "$NS" -f - 2>&1 <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: privileged
spec:
  containers:
  - name: app
    image: registry.local/web:1.0.0
    securityContext:
      privileged: true
EOF
)"; then
  fail "privileged pod was admitted in a restricted namespace"
elif grep -q 'violates PodSecurity "restricted' <<<"$out"; then
  pass "Pod Security admission rejects a privileged pod"
else
  fail "privileged pod rejected, but not by Pod Security: $out"
fi

# --- Deployment: good release -------------------------------------------------
deploy() { # image
  kctl apply -n "$NS" -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  progressDeadlineSeconds: 30
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels: {app: web}
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels: {app: web}
      containers:
      - name: web
        image: $1
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 5
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: [ALL]
EOF
}

ready_replicas() { kctl get deploy web -n "$NS" -o jsonpath='{.status.readyReplicas}'; }

t=$SECONDS
deploy registry.local/web:1.0.0
if kctl rollout status deploy/web -n "$NS" --timeout=120s >/dev/null; then
  pass "good release rolled out in $((SECONDS - t))s"
else
  fail "good release did not roll out: $(kctl get deploy,rs,pods -n "$NS" -o wide 2>&1)"
fi
spread="$(kctl get pods -n "$NS" -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' |
  sed 's/-[0-9]*$//' | sort -u | wc -l)"
if [[ "$spread" == 2 ]]; then pass "replicas spread over 2 zones"
else fail "replicas not spread over 2 zones: $(kctl get pods -n "$NS" -o wide 2>&1)"; fi

# --- Deployment: faulty release -----------------------------------------------
t=$SECONDS
kctl set image deploy/web -n "$NS" web=registry.local/web:faulty-1 >/dev/null
min_ready=2
detected=""
while (( SECONDS - t < 120 )); do
  r="$(ready_replicas)"; r="${r:-0}"
  (( r < min_ready )) && min_ready=$r
  reason="$(kctl get deploy web -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')"
  if [[ "$reason" == ProgressDeadlineExceeded ]]; then detected=$((SECONDS - t)); break; fi
  sleep 1
done
if [[ -n "$detected" ]]; then
  pass "faulty release detected: Progressing=False/ProgressDeadlineExceeded after ${detected}s (deadline 30s)"
else
  fail "faulty release not reported as ProgressDeadlineExceeded within 120s: $(kctl get deploy web -n "$NS" -o yaml 2>&1 | sed -n '/^status:/,$p')"
fi
status="$(kctl get deploy web -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Progressing")].status}')"
[[ "$status" == False ]] && pass "Progressing condition status is False" || fail "Progressing status is '$status'"
if kctl rollout status deploy/web -n "$NS" --timeout=10s >/dev/null 2>&1; then
  fail "kubectl rollout status succeeded for a faulty release"
else
  pass "kubectl rollout status fails for the faulty release"
fi
faulty_pod="$(kctl get pods -n "$NS" -l app=web -o jsonpath='{range .items[?(@.spec.containers[0].image=="registry.local/web:faulty-1")]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="ContainersReady")].status}{"\n"}{end}')"
if [[ -n "$faulty_pod" ]] && ! grep -qv ' Running False False$' <<<"$faulty_pod"; then
  pass "faulty pod(s) Running but not Ready: $(echo $faulty_pod)"
else
  fail "faulty pods not in Running/Ready=False: '$faulty_pod'"
fi
(( min_ready >= 2 )) && pass "ready replicas never dropped below 2 during the faulty rollout" ||
  fail "ready replicas dropped to $min_ready"

# --- rollback ------------------------------------------------------------------
t=$SECONDS
kctl rollout undo deploy/web -n "$NS" >/dev/null
if kctl rollout status deploy/web -n "$NS" --timeout=120s >/dev/null; then
  pass "rollout undo healthy again in $((SECONDS - t))s"
else
  fail "rollback did not become healthy"
fi
image="$(kctl get deploy web -n "$NS" -o jsonpath='{.spec.template.spec.containers[0].image}')"
ready="$(ready_replicas)"
reason="$(kctl get deploy web -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')"
if [[ "$image" == registry.local/web:1.0.0 && "$ready" == 2 && "$reason" == NewReplicaSetAvailable ]]; then
  pass "after undo: image $image, 2 ready, Progressing=$reason"
else
  fail "after undo: image '$image', ready '$ready', Progressing reason '$reason'"
fi

# --- annotation marker ---------------------------------------------------------
kctl apply -n "$NS" -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: annotated-not-ready
  annotations:
    platform.local/simulate: not-ready
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: registry.local/web:1.0.0
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
EOF
state=""
for _ in $(seq 1 30); do
  state="$(kctl get pod annotated-not-ready -n "$NS" -o jsonpath='{.status.phase} {.status.conditions[?(@.type=="Ready")].status}')"
  [[ "$state" == "Running False" ]] && break
  sleep 1
done
[[ "$state" == "Running False" ]] && pass "annotation platform.local/simulate=not-ready: pod Running, not Ready" ||
  fail "annotated pod state '$state'"

echo "# total $((SECONDS - T0))s"
echo "smoke: $PASSED passed, $FAILED failed"
(( FAILED == 0 ))
