import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpError } from './errors';

/** HTTP API (payload 2.0) responses. Every body is JSON; nothing is cached (bodies hold short-lived presigned URLs). */
export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

const baseHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...baseHeaders, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): HttpResponse {
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
}

/** The error body every failure shares: `{ error: { code, message } }`. */
export function errorResponse(error: Pick<HttpError, 'status' | 'code' | 'message' | 'headers'>): HttpResponse {
  return json(error.status, { error: { code: error.code, message: error.message } }, error.headers);
}
