# metrics-server for the local control plane (sourced by cluster/up.sh and cluster/down.sh after lib.sh and
# access/access.sh).
# shellcheck shell=bash
#
# The HorizontalPodAutoscaler reads CPU from the Metrics API (metrics.k8s.io), which EKS gets from the
# metrics-server add-on. Here metrics-server (built from the Go module proxy by metrics/build.sh) runs as a process
# beside the control plane, bound to 127.0.0.1, and scrapes the real node's kubelet (198.18.0.1:10250, the bridge)
# only: the KWOK nodes serve no kubelet API (--node-selector). kube-apiserver reaches it through the aggregation
# layer: APIService v1beta1.metrics.k8s.io -> Service kube-system/metrics-server of type ExternalName 127.0.0.1
# (the aggregator dials the name and verifies the certificate for metrics-server.kube-system.svc against the
# APIService's caBundle; an Endpoints/EndpointSlice address may not be loopback, an ExternalName may).
# Front proxy: kube-apiserver presents its own client certificate (CN front-proxy-client, from a CA of its own) and
# passes the caller in X-Remote-User/X-Remote-Group; metrics-server trusts those headers only from that CA and
# name (--requestheader-* flags, published by kube-apiserver in kube-system/extension-apiserver-authentication)
# and asks kube-apiserver whether the caller may read metrics (SubjectAccessReview).
# metrics-server's own identity: user system:metrics-server (a client certificate from the cluster's CA), bound to
# the ClusterRoles of upstream's manifests (metrics/metrics-server.yaml); it verifies the kubelet's serving
# certificate against the cluster's CA (node/up.sh has it signed by that CA).
#
# State in $KWOK_WORKDIR/metrics/<cluster> (port, certificates, kubeconfig, pid, log).

METRICS_DIR="$KWOK_WORKDIR/metrics/$CLUSTER_NAME"
METRICS_PID_FILE="$METRICS_DIR/metrics-server.pid"
METRICS_LOG="$METRICS_DIR/metrics-server.log"
METRICS_APISERVICE=v1beta1.metrics.k8s.io
# shellcheck disable=SC2034 # read by up.sh (part of the cluster fingerprint)
METRICS_FILES=("$CLUSTER_DIR/metrics/metrics.sh" "$CLUSTER_DIR/metrics/metrics-server.yaml")

metrics_cert() { # name, subject, extensions, [CA cert, CA key] (self-signed without a CA)
  local name=$1 subject=$2 ext=$3 dir=$METRICS_DIR
  if [[ $# -eq 3 ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "$subject" \
      -addext "$ext" -keyout "$dir/$name.key" -out "$dir/$name.crt" 2>/dev/null
  else
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null &&
      openssl x509 -req -in "$dir/$name.csr" -CA "$4" -CAkey "$5" -CAcreateserial -CAserial "$dir/$name.srl" -days 30 \
        -extfile <(printf '%s\n' "$ext" | tr ';' '\n') -out "$dir/$name.crt" 2>/dev/null
  fi || die "openssl could not create the metrics-server certificate '$name'"
  chmod 600 "$dir/$name.key"
}

# Before `kwokctl create cluster`, after access_prepare: the front-proxy CA and client certificate, metrics-server's
# serving certificate and port, and kube-apiserver's aggregation flags in $ACCESS_KWOKCTL_CONFIG.
metrics_prepare() {
  mkdir -p "$METRICS_DIR" && chmod 700 "$METRICS_DIR"
  if [[ ! -s "$METRICS_DIR/port" ]]; then
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })' >"$METRICS_DIR/port"
  fi
  if [[ ! -s "$METRICS_DIR/front-proxy-client.crt" ]]; then
    metrics_cert front-proxy-ca "/CN=platform-front-proxy-ca" "basicConstraints=critical,CA:TRUE"
    metrics_cert front-proxy-client "/CN=front-proxy-client" "extendedKeyUsage=clientAuth;keyUsage=critical,digitalSignature" \
      "$METRICS_DIR/front-proxy-ca.crt" "$METRICS_DIR/front-proxy-ca.key"
    # The name the aggregator checks (<service>.<namespace>.svc); also the caBundle of the APIService.
    metrics_cert serving "/CN=metrics-server.kube-system.svc" "subjectAltName=DNS:metrics-server.kube-system.svc,IP:127.0.0.1"
  fi
  local args
  args=$(cat <<EOF
  - {key: requestheader-client-ca-file, value: $METRICS_DIR/front-proxy-ca.crt}
  - {key: requestheader-allowed-names, value: front-proxy-client}
  - {key: requestheader-username-headers, value: X-Remote-User}
  - {key: requestheader-group-headers, value: X-Remote-Group}
  - {key: requestheader-extra-headers-prefix, value: X-Remote-Extra-}
  - {key: proxy-client-cert-file, value: $METRICS_DIR/front-proxy-client.crt, override: true}
  - {key: proxy-client-key-file, value: $METRICS_DIR/front-proxy-client.key, override: true}
EOF
)
  [[ -f "$ACCESS_KWOKCTL_CONFIG" ]] || die "metrics: $ACCESS_KWOKCTL_CONFIG is missing (access_prepare writes it first)"
  add_apiserver_args "$ACCESS_KWOKCTL_CONFIG" "$ACCESS_KWOKCTL_CONFIG" "$args" requestheader-client-ca-file
}

metrics_running() { runs_from "$METRICS_PID_FILE" "$METRICS_DIR"; }

# After the real node is up: RBAC, Service and APIService, then the process (unless it runs); waits until the
# aggregator reports the APIService Available.
metrics_start() {
  [[ -s "$METRICS_DIR/serving.crt" ]] || die "metrics: no state in $METRICS_DIR (the cluster was created without metrics_prepare: recreate it)"
  local binary port server pki="$CLUSTER_WORKDIR/pki"
  binary="$("$CLUSTER_DIR/metrics/build.sh" | tail -n 1)"
  [[ -x "$binary" ]] || die "metrics: metrics/build.sh produced no binary ('$binary')"
  port="$(cat "$METRICS_DIR/port")"
  if [[ ! -s "$METRICS_DIR/client.crt" ]]; then
    metrics_cert client "/CN=system:metrics-server" "extendedKeyUsage=clientAuth;keyUsage=critical,digitalSignature" "$pki/ca.crt" "$pki/ca.key"
  fi
  server="$(kctl config view --raw -o jsonpath='{.clusters[0].cluster.server}')"
  cat >"$METRICS_DIR/metrics-server.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$server", certificate-authority: "$pki/ca.crt"}}]
users: [{name: metrics-server, user: {client-certificate: "$METRICS_DIR/client.crt", client-key: "$METRICS_DIR/client.key"}}]
contexts: [{name: local, context: {cluster: local, user: metrics-server}}]
current-context: local
EOF
  sed -e "s|__CA_BUNDLE__|$(base64 -w0 <"$METRICS_DIR/serving.crt")|" -e "s|__PORT__|$port|" "$CLUSTER_DIR/metrics/metrics-server.yaml" |
    kctl apply -f - >&2 || die "metrics: could not apply metrics/metrics-server.yaml"
  if ! metrics_running; then
    local kc="$METRICS_DIR/metrics-server.kubeconfig"
    # --metric-resolution 15s: upstream's manifests' value (the binary's default is 60 s).
    nohup "$binary" --bind-address=127.0.0.1 --secure-port="$port" \
      --tls-cert-file="$METRICS_DIR/serving.crt" --tls-private-key-file="$METRICS_DIR/serving.key" \
      --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
      --kubelet-preferred-address-types=InternalIP --kubelet-use-node-status-port \
      --kubelet-certificate-authority="$pki/ca.crt" --node-selector=platform.local/node=real \
      --metric-resolution=15s >"$METRICS_LOG" 2>&1 </dev/null &
    echo $! >"$METRICS_PID_FILE"
  fi
  local deadline=$((SECONDS + 60))
  until [[ "$(kctl get apiservice "$METRICS_APISERVICE" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" == True ]]; do
    metrics_running || die "metrics-server exited (log: $METRICS_LOG)"
    (( SECONDS < deadline )) || die "APIService $METRICS_APISERVICE is not Available after 60 s: $(kctl get apiservice "$METRICS_APISERVICE" -o jsonpath='{.status.conditions[0].message}' 2>&1) (log: $METRICS_LOG)"
    sleep 0.5
  done
  log "metrics-server on 127.0.0.1:$port (APIService $METRICS_APISERVICE Available), pid $(cat "$METRICS_PID_FILE")"
}

# Stops metrics-server (by its recorded pid, only if that pid is ours); the state stays for a restart.
metrics_stop() {
  metrics_running || return 0
  local pid
  pid="$(cat "$METRICS_PID_FILE")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$METRICS_PID_FILE"
}

# Stops it and forgets the cluster's metrics state (with the cluster).
metrics_teardown() {
  metrics_stop
  rm -rf "$METRICS_DIR"
}
