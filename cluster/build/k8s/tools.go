//go:build tools

// Package tools pins the Kubernetes commands built by cluster/build.sh.
// k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces every staging
// module with ./staging/...), so this wrapper module requires it and replaces
// each staging module with its published k8s.io/<name> v0.<minor>.<patch>.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
