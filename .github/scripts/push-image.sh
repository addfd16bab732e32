#!/usr/bin/env bash
# Pushes a scanned image archive (docker save / buildx type=docker) to a registry as <repository>:<tag> and prints
# its digest; in GitHub Actions also writes `digest=sha256:...` to $GITHUB_OUTPUT.
# If <repository>:<tag> already exists (ECR tags are immutable: a release re-using a commit that was already
# shipped to staging), the existing image is kept and its digest returned.
# With RELEASE_TAG set (environment, e.g. v1.4.2; empty = none), the same image also gets that tag, through ECR's
# documented retag (BatchGetImage + PutImage of the same manifest, so the digest is unchanged). Released images are
# what ECR's lifecycle keeps out of the count of builds (config RELEASE_TAG_PREFIX, infra/stacks/regional-stack.ts).
# Needs: docker, logged in to the registry (aws-actions/amazon-ecr-login, or `aws ecr get-login-password | docker login`),
# or (no Docker daemon) buildah and AWS credentials for ECR (scripts/ecr.mjs logs in).
# Usage: npm run image:push -- <image.tar> <registry>/<repository> <tag> [<digest file>]
#   <digest file>: also written as IMAGE_DIGEST=<digest>: digests/<image>.env, which `npm run deploy:built` reads.
set -euo pipefail

if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then
  echo "usage: $0 <image.tar> <registry>/<repository> <tag> [<digest file>]" >&2
  exit 2
fi
archive=$1 repository=$2 tag=$3 digest_file=${4:-}
release=${RELEASE_TAG:-}
target="$repository:$tag"
if [ -n "$release" ]; then
  case "$release" in
    v*) ;; # RELEASE_TAG_PREFIX in config/image.ts
    *) echo "push-image: release tag \"$release\" does not start with \"v\"; ECR's lifecycle keeps only v* release images out of the build count" >&2; exit 2 ;;
  esac
fi

digest_of() { docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' 2>/dev/null | tr -d '"'; }

# Without a Docker daemon (GitLab, Bitbucket, Jenkins agents): buildah, logged in to ECR through the AWS SDK.
digest=""
if ! command -v docker >/dev/null && ! command -v buildah >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "push-image: installing buildah (Debian package)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah >/dev/null
fi
if ! command -v docker >/dev/null && command -v buildah >/dev/null; then
  export STORAGE_DRIVER=vfs
  here=$(cd "$(dirname "$0")/../.." && pwd)
  existing=$(node "$here/scripts/ecr.mjs" digest "$repository" "$tag")
  if [ -n "$existing" ]; then
    echo "push-image: $target already exists ($existing); not pushing" >&2
    digest=$existing
  else
    node "$here/scripts/ecr.mjs" password "${repository%%/*}" | buildah login --username AWS --password-stdin "${repository%%/*}" >&2
    digestfile=$(mktemp)
    buildah push --digestfile "$digestfile" "docker-archive:$archive" "docker://$target" >&2
    digest=$(cat "$digestfile")
    rm -f "$digestfile"
  fi
elif existing=$(digest_of "$target" || true) && [ -n "$existing" ]; then
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

if [ -n "$release" ]; then
  released=$(digest_of "$repository:$release" || true)
  if [ "$released" = "$digest" ]; then
    echo "push-image: $repository:$release already points at $digest" >&2
  elif [ -n "$released" ]; then
    echo "push-image: $repository:$release already exists for another image ($released); tags are immutable" >&2
    exit 1
  else
    # <account>.dkr.ecr.<region>.amazonaws.com/<name>
    registry=${repository%%/*} name=${repository#*/}
    region=$(echo "$registry" | cut -d. -f4)
    manifest=$(aws ecr batch-get-image --region "$region" --repository-name "$name" --image-ids imageDigest="$digest" --query 'images[0].imageManifest' --output text)
    aws ecr put-image --region "$region" --repository-name "$name" --image-tag "$release" --image-manifest "$manifest" >/dev/null
    echo "push-image: tagged $digest as $repository:$release" >&2
  fi
fi

echo "$digest"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "digest=$digest" >>"$GITHUB_OUTPUT"
fi
if [ -n "$digest_file" ]; then
  mkdir -p "$(dirname "$digest_file")"
  echo "IMAGE_DIGEST=$digest" >"$digest_file"
fi
