import { randomBytes } from 'node:crypto';

/** Upload ids: 128 random bits, base64url (22 chars), so they are unguessable and safe in URLs and S3 keys. */
export const newUploadId = (): string => randomBytes(16).toString('base64url');

/** What a caller may send as `{id}`: strict, so a path parameter can never widen an S3 prefix. */
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
