import { badRequest } from './errors';

/** Largest JSON body accepted: the upload request is three short fields. */
export const MAX_BODY_BYTES = 4096;

/** Header lookup: HTTP API lower-cases header names, but tests and other callers may not. */
export function header(headers: Readonly<Record<string, string | undefined>> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Parses a JSON object body; the request must say `Content-Type: application/json`. */
export function parseJsonBody(request: { headers?: Readonly<Record<string, string | undefined>>; body?: string; isBase64Encoded?: boolean }): Record<string, unknown> {
  const contentType = header(request.headers, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw badRequest(`Content-Type must be application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType)}`, 'unsupported_media_type');
  }
  const text = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString('utf8') : (request.body ?? '');
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw badRequest(`Request body must be at most ${MAX_BODY_BYTES} bytes`, 'bad_request');
  }
  if (text.trim() === '') throw badRequest('Request body is empty: expected a JSON object', 'invalid_json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`, 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`Request body must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : typeof value}`, 'invalid_json');
  }
  return value as Record<string, unknown>;
}
