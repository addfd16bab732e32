import { badRequest, payloadTooLarge } from './errors';
import { UPLOAD_ID_PATTERN } from './ids';

/** Content types an upload may declare. The presigned PUT is bound to the declared one. */
export const ALLOWED_CONTENT_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'application/pdf', 'text/plain', 'text/csv'];

/** File names: at most this many UTF-8 bytes (keeps the whole key far below S3's 1024-byte limit). */
export const MAX_FILE_NAME_BYTES = 255;

export interface UploadRequest {
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
}

const describe = (value: unknown): string =>
  value === undefined
    ? 'nothing'
    : typeof value === 'string'
      ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
      : `${JSON.stringify(value)?.slice(0, 80)} (${value === null ? 'null' : typeof value})`;

// C0/C1 control characters, and the bidi overrides that can make "gpj.exe" display as "exe.jpg".
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Normalises (Unicode NFC, surrounding spaces trimmed) and checks a file name; returns the name to store. */
export function validateFileName(value: unknown): string {
  if (typeof value !== 'string') throw badRequest(`fileName must be a string, got ${describe(value)}`);
  const name = value.normalize('NFC').trim();
  if (name === '') throw badRequest('fileName must not be empty');
  if (UNSAFE_CHARS.test(name)) throw badRequest(`fileName ${describe(value)} contains control characters, which are not allowed`);
  if (/[/\\]/.test(name)) throw badRequest(`fileName ${describe(value)} contains a path separator ("/" or "\\"), which is not allowed`);
  if (name.includes('..')) throw badRequest(`fileName ${describe(value)} contains "..", which is not allowed`);
  if (name === '.') throw badRequest('fileName "." is not allowed');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_FILE_NAME_BYTES) throw badRequest(`fileName is ${bytes} bytes long; at most ${MAX_FILE_NAME_BYTES} bytes (UTF-8) are allowed`);
  return name;
}

export function validateContentType(value: unknown): string {
  if (typeof value !== 'string') throw badRequest(`contentType must be a string, got ${describe(value)}; allowed: ${ALLOWED_CONTENT_TYPES.join(', ')}`);
  const contentType = value.trim().toLowerCase();
  if (!ALLOWED_CONTENT_TYPES.includes(contentType)) {
    throw badRequest(`contentType ${describe(value)} is not allowed; allowed: ${ALLOWED_CONTENT_TYPES.join(', ')}`);
  }
  return contentType;
}

/** Size in bytes: an integer from 1 to the limit; above the limit is 413. */
export function validateSize(value: unknown, maxBytes: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw badRequest(`size must be an integer number of bytes, got ${describe(value)}`);
  if (value < 1) throw badRequest(`size must be at least 1 byte, got ${value}`);
  if (value > maxBytes) throw payloadTooLarge(`size ${value} exceeds the upload limit of ${maxBytes} bytes`);
  return value;
}

const UPLOAD_REQUEST_FIELDS = ['fileName', 'contentType', 'size'];

/** Validates the body of `POST /uploads`. Unknown fields are rejected so typos do not pass silently. */
export function validateUploadRequest(body: Record<string, unknown>, maxBytes: number): UploadRequest {
  const unknown = Object.keys(body).filter((key) => !UPLOAD_REQUEST_FIELDS.includes(key));
  if (unknown.length > 0) {
    throw badRequest(`Unknown field(s) ${unknown.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')}; allowed: ${UPLOAD_REQUEST_FIELDS.join(', ')}`);
  }
  return {
    fileName: validateFileName(body.fileName),
    contentType: validateContentType(body.contentType),
    size: validateSize(body.size, maxBytes),
  };
}

/** `{id}` path parameters: strict pattern, so they can never reach outside `users/<sub>/<id>/`. */
export function validateUploadId(value: unknown): string {
  if (typeof value !== 'string' || !UPLOAD_ID_PATTERN.test(value)) {
    throw badRequest(`Upload id ${describe(value)} is invalid: expected 16 to 64 characters of A-Z, a-z, 0-9, "_" or "-"`);
  }
  return value;
}
