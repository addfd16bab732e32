# EKS-style access entries for the local control plane (sourced by cluster/up.sh and cluster/down.sh after lib.sh).
# shellcheck shell=bash
#
# On EKS an IAM principal is authenticated by a webhook and authorized by its access entry's access policies, a
# webhook authorizer too: not RBAC. cluster/access/webhook.mjs does both for the local kube-apiserver (TokenReview
# and SubjectAccessReview, HTTPS on 127.0.0.1, only kube-apiserver's client certificate accepted), so that
# permissions granted "by access policy" behave as on EKS — including that Kubernetes' RBAC escalation check does
# not count them. Entries are managed with cluster/access-entry.sh.
#
# State in $KWOK_WORKDIR/access/<cluster> (port, serving certificate, webhook kubeconfigs, entries, pid, log).

ACCESS_DIR="$KWOK_WORKDIR/access/$CLUSTER_NAME"
ACCESS_ENTRIES="$ACCESS_DIR/access-entries.json"
ACCESS_PID_FILE="$ACCESS_DIR/webhook.pid"
# kwokctl reads one KwokctlConfiguration only: cluster/kwokctl.yaml plus the kube-apiserver flags of the webhook.
ACCESS_KWOKCTL_CONFIG="$ACCESS_DIR/kwokctl.yaml"
# shellcheck disable=SC2034 # read by up.sh (part of the cluster fingerprint)
ACCESS_FILES=("$CLUSTER_DIR/access/access.sh" "$CLUSTER_DIR/access/webhook.mjs")

# Before `kwokctl create cluster`: a loopback port kept for the cluster's lifetime (kube-apiserver reads the webhook
# kubeconfigs once, at start), the webhook's serving certificate, its kubeconfigs and the kwokctl configuration.
access_prepare() {
  mkdir -p "$ACCESS_DIR" && chmod 700 "$ACCESS_DIR"
  if [[ ! -s "$ACCESS_DIR/port" ]]; then
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })' >"$ACCESS_DIR/port"
  fi
  local port pki="$CLUSTER_WORKDIR/pki" kind
  port="$(cat "$ACCESS_DIR/port")"
  if [[ ! -s "$ACCESS_DIR/webhook.crt" ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "/CN=platform-access-webhook" \
      -addext "subjectAltName=IP:127.0.0.1" -keyout "$ACCESS_DIR/webhook.key" -out "$ACCESS_DIR/webhook.crt" 2>/dev/null ||
      die "openssl could not create the access webhook's certificate"
    chmod 600 "$ACCESS_DIR/webhook.key"
  fi
  for kind in authenticate authorize; do
    # kube-apiserver presents kwokctl's admin certificate (pki/, created by kwokctl before it starts the API server).
    cat >"$ACCESS_DIR/$kind.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: access-webhook
  cluster:
    server: https://127.0.0.1:$port/$kind
    certificate-authority: $ACCESS_DIR/webhook.crt
users:
- name: kube-apiserver
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: webhook
  context: {cluster: access-webhook, user: kube-apiserver}
current-context: webhook
EOF
  done
  # Webhook authorization after Node and RBAC (replacing kwokctl's --authorization-mode=Node,RBAC). No decision
  # caching, so a changed access entry applies to the next request.
  # kwokctl.yaml already patches kube-apiserver (the Service range): the webhook's flags join that patch's extraArgs
  # (a second componentsPatches key, or a second patch of the same component, would replace it).
  local args
  args=$(cat <<EOF
  - {key: authentication-token-webhook-config-file, value: $ACCESS_DIR/authenticate.kubeconfig}
  - {key: authentication-token-webhook-version, value: v1}
  - {key: authentication-token-webhook-cache-ttl, value: 0s}
  - {key: authorization-mode, value: "Node,RBAC,Webhook", override: true}
  - {key: authorization-webhook-config-file, value: $ACCESS_DIR/authorize.kubeconfig}
  - {key: authorization-webhook-version, value: v1}
  - {key: authorization-webhook-cache-authorized-ttl, value: 0s}
  - {key: authorization-webhook-cache-unauthorized-ttl, value: 0s}
EOF
)
  add_apiserver_args "$CLUSTER_DIR/kwokctl.yaml" "$ACCESS_KWOKCTL_CONFIG" "$args" authorization-webhook-config-file
}

access_webhook_running() { runs_from "$ACCESS_PID_FILE" "$ACCESS_DIR"; }

# After the cluster runs (the webhook reads the cluster's CA and admin certificate): start it unless it runs.
access_webhook_start() {
  access_webhook_running && return 0
  local server
  server="$(kctl config view --raw -o jsonpath='{.clusters[0].cluster.server}')"
  [[ -n "$server" ]] || die "access webhook: no API server address in $KUBECONFIG_PATH"
  nohup node "$CLUSTER_DIR/access/webhook.mjs" \
    --port "$(cat "$ACCESS_DIR/port")" --tls-cert "$ACCESS_DIR/webhook.crt" --tls-key "$ACCESS_DIR/webhook.key" \
    --client-ca "$CLUSTER_WORKDIR/pki/ca.crt" --entries "$ACCESS_ENTRIES" \
    --apiserver "$server" --apiserver-ca "$CLUSTER_WORKDIR/pki/ca.crt" \
    --apiserver-cert "$CLUSTER_WORKDIR/pki/admin.crt" --apiserver-key "$CLUSTER_WORKDIR/pki/admin.key" \
    >"$ACCESS_DIR/webhook.log" 2>&1 </dev/null &
  echo $! >"$ACCESS_PID_FILE"
  local deadline=$((SECONDS + 15))
  until grep -q 'webhook: listening' "$ACCESS_DIR/webhook.log" 2>/dev/null; do
    access_webhook_running || die "access webhook exited (log: $ACCESS_DIR/webhook.log)"
    (( SECONDS < deadline )) || die "access webhook did not start (log: $ACCESS_DIR/webhook.log)"
    sleep 0.2
  done
  log "access webhook (EKS-style access entries) on 127.0.0.1:$(cat "$ACCESS_DIR/port"), pid $(cat "$ACCESS_PID_FILE")"
}

# Stops the webhook (by its recorded pid, only if that pid is our webhook) and forgets the cluster's access state.
access_teardown() {
  if access_webhook_running; then
    local pid
    pid="$(cat "$ACCESS_PID_FILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$ACCESS_DIR"
}
