import { UPLOAD_ID_PATTERN } from './ids';

/**
 * S3 key layout: `users/<sub>/<uploadId>/<fileName>`. Keys are only ever built from the authenticated
 * `sub` (validated by auth.ts) and a validated id, so a caller can address nothing outside its prefix.
 */
export const userPrefix = (sub: string): string => `users/${sub}/`;
export const uploadPrefix = (sub: string, id: string): string => `${userPrefix(sub)}${id}/`;
export const objectKey = (sub: string, id: string, fileName: string): string => `${uploadPrefix(sub, id)}${fileName}`;

/** Reads `{id, fileName}` back from a key under the user's prefix; undefined for anything that does not fit the layout. */
export function parseObjectKey(sub: string, key: string): { id: string; fileName: string } | undefined {
  const prefix = userPrefix(sub);
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const id = rest.slice(0, slash);
  const fileName = rest.slice(slash + 1);
  if (!UPLOAD_ID_PATTERN.test(id) || fileName === '' || fileName.includes('/')) return undefined;
  return { id, fileName };
}
