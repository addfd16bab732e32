#!/usr/bin/env bash
# GitLab and Bitbucket hand a job its OIDC token in a variable; the AWS SDK (cdk, the deploy command) and the image
# push read it from a file: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN make the default credential chain call
# AssumeRoleWithWebIdentity itself. This writes the token (never printed) to that file, mode 0600.
# Usage: bash scripts/web-identity.sh <name of the variable holding the token>
#   e.g. GitLab: AWS_OIDC_TOKEN (id_tokens), Bitbucket: BITBUCKET_STEP_OIDC_TOKEN (oidc: true)
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 <token variable>" >&2
  exit 2
fi
token=${!1:-}
file=${AWS_WEB_IDENTITY_TOKEN_FILE:-}
[ -n "$token" ] || { echo "web-identity: \$$1 is empty: the job has no OIDC token (GitLab: id_tokens; Bitbucket: oidc: true)" >&2; exit 1; }
[ -n "$file" ] || { echo "web-identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set" >&2; exit 1; }
[ -n "${AWS_ROLE_ARN:-}" ] || { echo "web-identity: AWS_ROLE_ARN is not set (the role to assume)" >&2; exit 1; }
( umask 077 && printf '%s' "$token" >"$file" )
echo "web-identity: token of \$$1 in $file for role $AWS_ROLE_ARN (value not shown)" >&2
