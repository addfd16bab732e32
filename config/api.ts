/**
 * The serverless upload API's contract between infra (API Gateway routes, the function's environment) and the
 * handler in lambda/: one route table, one set of variable names.
 */

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRoute {
  readonly method: ApiMethod;
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** Whether the API Gateway JWT authorizer guards the route (and the handler requires a caller). */
  readonly authorized: boolean;
}

/** Every route of the API. infra creates exactly these; the handler serves exactly these. */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/health', authorized: false },
  { method: 'GET', path: '/uploads', authorized: true },
  { method: 'POST', path: '/uploads', authorized: true },
  { method: 'GET', path: '/uploads/{id}', authorized: true },
  { method: 'DELETE', path: '/uploads/{id}', authorized: true },
];

/** `"GET /uploads/{id}"`: API Gateway's route key. */
export const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** Environment variables of the upload function: set by infra, read by lambda/src/config.ts. */
export const UPLOAD_API_ENV = {
  bucket: 'UPLOAD_BUCKET',
  kmsKeyId: 'UPLOAD_KMS_KEY_ID',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
} as const;

/** The only origin a browser may call the upload API and the bucket's presigned URLs from: the environment's site. */
export function apiClientOrigin(hostname: string): string {
  return `https://${hostname}`;
}

/** Where the hosted sign-in returns the browser app's authorization code (public client, PKCE). */
export function apiClientCallbackUrl(hostname: string): string {
  return `${apiClientOrigin(hostname)}/oauth/callback`;
}
