#!/usr/bin/env bash
# Builds one image (its own build context and Dockerfile, from config `images`) into an archive without a Docker
# daemon, for the CI systems other than GitHub Actions (which uses buildx): buildah with the vfs storage driver and
# chroot isolation runs in an unprivileged CI container. The Dockerfile's own ignore file (<dockerfile>.dockerignore,
# which BuildKit reads) is passed explicitly, so both builders send the same files. Installs buildah from Debian
# packages when missing (root). `npm run images:build` calls it for each image of the plan.
# Usage: npm run image:build -- <context> <dockerfile> <out.tar> <name>:<tag>     (tag: the commit SHA)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 4 ] || [[ "$4" != *:* ]]; then
  echo "usage: $0 <context> <dockerfile> <out.tar> <name>:<tag>" >&2
  exit 2
fi
context=$1 dockerfile=$2 out=$3 image=$4
tag=${image##*:}
if ! command -v buildah >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "build-image: installing buildah (Debian package)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah >/dev/null
  else
    echo "build-image: buildah is required (install it, or run as root on a Debian-based image)" >&2
    exit 1
  fi
fi
ignore=()
if [ -f "$dockerfile.dockerignore" ]; then
  ignore=(--ignorefile "$dockerfile.dockerignore")
fi
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
buildah bud --layers -f "$dockerfile" "${ignore[@]}" --build-arg "VERSION=$tag" -t "$image" "$context"
mkdir -p "$(dirname "$out")"
rm -f "$out"
buildah push "$image" "docker-archive:$out:$image"
echo "build-image: $image ($context, $dockerfile) -> $out" >&2
