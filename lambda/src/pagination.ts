import { badRequest } from './errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
/** S3 continuation tokens are opaque and well under 1 KB; base64url keeps them safe in a query string. */
const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,2048}$/;

export interface PageRequest {
  readonly limit: number;
  /** The S3 continuation token, decoded from the caller's `cursor`. */
  readonly continuationToken?: string;
}

/** The opaque `cursor` handed to callers: the S3 continuation token, base64url-encoded. */
export const encodeCursor = (continuationToken: string): string => Buffer.from(continuationToken, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): string {
  if (!CURSOR_PATTERN.test(cursor)) throw badRequest('cursor is invalid: pass back the nextCursor of a previous page unchanged');
  const token = Buffer.from(cursor, 'base64url').toString('utf8');
  if (token === '' || encodeCursor(token) !== cursor) throw badRequest('cursor is invalid: pass back the nextCursor of a previous page unchanged');
  return token;
}

const KNOWN_PARAMETERS = ['limit', 'cursor'];

/** Parses `?limit=&cursor=` of `GET /uploads`. */
export function parsePageRequest(query: Readonly<Record<string, string | undefined>> | undefined): PageRequest {
  const params = query ?? {};
  const unknown = Object.keys(params).filter((key) => !KNOWN_PARAMETERS.includes(key));
  if (unknown.length > 0) {
    throw badRequest(`Unknown query parameter(s) ${unknown.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')}; allowed: ${KNOWN_PARAMETERS.join(', ')}`);
  }
  let limit = DEFAULT_PAGE_SIZE;
  if (params.limit !== undefined) {
    limit = /^\d{1,3}$/.test(params.limit) ? Number(params.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
      throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(params.limit.slice(0, 40))}`);
    }
  }
  return params.cursor === undefined ? { limit } : { limit, continuationToken: decodeCursor(params.cursor) };
}
