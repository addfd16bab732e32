//go:build tools

// Package tools pins the etcd server built by cluster/build.sh. It lives in its
// own module so that etcd's dependency graph cannot shift the Kubernetes one.
// go.etcd.io/etcd/server/v3's go.mod has relative replaces, so no `go install`.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
