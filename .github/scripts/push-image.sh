#!/usr/bin/env bash
# Pushes a scanned image archive (docker save / buildx type=docker) to a registry as <repository>:<tag> and prints
# its digest; in GitHub Actions also writes `digest=sha256:...` to $GITHUB_OUTPUT.
# If <repository>:<tag> already exists (ECR tags are immutable: a release re-using a commit that was already
# shipped to staging), the existing image is kept and its digest returned.
# Needs: docker, logged in to the registry (aws-actions/amazon-ecr-login, or `aws ecr get-login-password | docker login`).
# Usage: npm run image:push -- <image.tar> <registry>/<repository> <tag>
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 <image.tar> <registry>/<repository> <tag>" >&2
  exit 2
fi
archive=$1 repository=$2 tag=$3
target="$repository:$tag"

digest_of() { docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' 2>/dev/null | tr -d '"'; }

existing=$(digest_of "$target" || true)
if [ -n "$existing" ]; then
  echo "push-image: $target already exists ($existing); not pushing" >&2
  digest=$existing
else
  loaded=$(docker load --input "$archive" | sed -n 's/^Loaded image: //p' | head -n 1)
  if [ -z "$loaded" ]; then
    echo "push-image: $archive holds no tagged image" >&2
    exit 1
  fi
  docker tag "$loaded" "$target"
  docker push "$target" >&2
  digest=$(docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$target" | sed -n "s|^$repository@||p" | head -n 1)
fi

case "$digest" in
  sha256:*) ;;
  *) echo "push-image: no digest for $target" >&2; exit 1 ;;
esac
echo "$digest"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "digest=$digest" >>"$GITHUB_OUTPUT"
fi
