#!/usr/bin/env bash
# Builds the service image (app/Dockerfile) into an archive without a Docker daemon, for the CI systems other than
# GitHub Actions (which uses buildx): buildah with the vfs storage driver and chroot isolation runs in an
# unprivileged CI container. Installs buildah from Debian packages when missing (root).
# Usage: npm run image:build -- <out.tar> <tag>     (tag: the commit SHA)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <out.tar> <tag>" >&2
  exit 2
fi
out=$1 tag=$2
if ! command -v buildah >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "build-image: installing buildah (Debian package)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah >/dev/null
  else
    echo "build-image: buildah is required (install it, or run as root on a Debian-based image)" >&2
    exit 1
  fi
fi
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
buildah bud --layers -f app/Dockerfile --build-arg "VERSION=$tag" -t "platform-web:$tag" .
rm -f "$out"
buildah push "platform-web:$tag" "docker-archive:$out:platform-web:$tag"
echo "build-image: platform-web:$tag -> $out" >&2
