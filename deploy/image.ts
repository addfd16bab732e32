/**
 * Container image references: `[registry[:port]/]repository(:tag|@sha256:<64 hex>|:tag@sha256:<64 hex>)`.
 * The release must be immutable: a digest, or a tag other than "latest".
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?';
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);

export interface ImageReference {
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Parses an image reference or returns a reason why it is not acceptable for a release. */
export function parseImageReference(ref: string): ImageReference | { error: string } {
  if (typeof ref !== 'string' || ref.length === 0) return { error: 'the image reference is empty' };
  if (ref.length > 512) return { error: 'the image reference is longer than 512 characters' };
  const m = REFERENCE.exec(ref);
  if (!m) {
    return { error: `"${ref}" is not a valid image reference; expected [registry/]repository:tag or [registry/]repository@sha256:<64 hex digits> (lowercase repository)` };
  }
  let [, registry, repository, tag, digest] = m;
  // "host/repo" where host has no dot/port and is not localhost is really a path component (docker's rule).
  if (registry && !/[.:]/.test(registry) && registry !== 'localhost') {
    if (!new RegExp(`^${COMPONENT}$`).test(registry)) return { error: `"${ref}" is not a valid image reference` };
    repository = `${registry}/${repository}`;
    registry = undefined as unknown as string;
  }
  if (!tag && !digest) return { error: `image "${ref}" has neither a tag nor a digest; give an immutable tag (e.g. :1.2.3) or @sha256:<digest>` };
  if (tag === 'latest' && !digest) return { error: `image "${ref}" uses the mutable tag "latest"; give an immutable tag (e.g. :1.2.3) or @sha256:<digest>` };
  return { registry: registry || undefined, repository, tag: tag || undefined, digest: digest || undefined };
}

export function isImageError(r: ImageReference | { error: string }): r is { error: string } {
  return 'error' in r;
}
