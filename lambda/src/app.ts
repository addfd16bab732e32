import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { API_ROUTES, routeKey } from '../../config/api';
import { callerFrom, type Caller } from './auth';
import { HttpError } from './errors';
import { hashUser, type RequestLogger } from './logger';
import { errorResponse, json, type HttpResponse } from './responses';
import { createRouter, type RouteDefinition } from './router';
import type { Uploads, UploadsRequest } from './uploads';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

interface Endpoint {
  /** Whether the route needs an authenticated caller (the API Gateway JWT authorizer guards the same routes). */
  readonly auth: boolean;
  readonly run: (request: UploadsRequest) => Promise<HttpResponse>;
}

export interface AppDeps {
  readonly uploads: Uploads;
  readonly log: RequestLogger;
  /** Monotonic milliseconds, for durations. */
  readonly clock?: () => number;
}

const ANONYMOUS: Caller = { sub: '' };

/** What runs for each route key of the shared route table (config/api.ts, which infra turns into API Gateway routes). */
function handlers(uploads: Uploads): Record<string, Endpoint['run']> {
  return {
    'GET /health': async () => json(200, { status: 'ok' }),
    'POST /uploads': uploads.create,
    'GET /uploads': uploads.list,
    'GET /uploads/{id}': uploads.get,
    'DELETE /uploads/{id}': uploads.delete,
  };
}

/** The shared route table with a handler each; a route without a handler (or a handler without a route) fails at cold start. */
export function routes(uploads: Uploads): RouteDefinition<Endpoint>[] {
  const byKey = handlers(uploads);
  const unserved = API_ROUTES.map(routeKey).filter((key) => !byKey[key]);
  const unrouted = Object.keys(byKey).filter((key) => !API_ROUTES.some((r) => routeKey(r) === key));
  if (unserved.length > 0 || unrouted.length > 0) {
    throw new Error(`the handler and the route table (config/api.ts) disagree: no handler for [${unserved.join(', ')}], no route for [${unrouted.join(', ')}]`);
  }
  return API_ROUTES.map((route) => ({ method: route.method, path: route.path, handler: { auth: route.authorized, run: byKey[routeKey(route)] } }));
}

/** The Lambda handler: route → authenticate → run, errors as JSON, one log line per request. */
export function createHandler({ uploads, log, clock = () => performance.now() }: AppDeps) {
  const match = createRouter(routes(uploads));

  return async function handler(event: ApiEvent, context?: Pick<Context, 'awsRequestId'>): Promise<HttpResponse> {
    const started = clock();
    const http = event.requestContext?.http;
    const method = http?.method ?? event.routeKey?.split(' ')[0] ?? 'UNKNOWN';
    let route = event.routeKey ?? `${method} ${event.rawPath}`;
    let caller: Caller | undefined;
    let response: HttpResponse;
    let errorCode: string | undefined;
    let failure: { name: string; message: string } | undefined;
    try {
      const matched = match({
        routeKey: event.routeKey,
        method,
        path: http?.path ?? event.rawPath ?? '/',
        stage: event.requestContext?.stage,
        pathParameters: event.pathParameters,
      });
      if (matched.kind === 'not_found') throw new HttpError(404, 'not_found', `No route for ${method} ${event.rawPath ?? ''}`.trim());
      if (matched.kind === 'method_not_allowed') {
        throw new HttpError(405, 'method_not_allowed', `Method ${method} is not allowed here; allowed: ${matched.allow.join(', ')}`, {
          allow: matched.allow.join(', '),
        });
      }
      route = matched.routeKey;
      const endpoint = matched.handler;
      if (endpoint.auth) caller = callerFrom(event.requestContext);
      response = await endpoint.run({
        caller: caller ?? ANONYMOUS,
        params: matched.params,
        headers: event.headers,
        query: event.queryStringParameters,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
      });
    } catch (error) {
      const known = error instanceof HttpError ? error : undefined;
      if (!known) failure = { name: (error as Error)?.name ?? 'Error', message: String((error as Error)?.message ?? error) };
      const httpError = known ?? new HttpError(500, 'internal_error', 'Internal error; see the logs for this request id');
      errorCode = httpError.code;
      response = errorResponse(httpError);
    }
    log({
      requestId: context?.awsRequestId ?? event.requestContext?.requestId ?? 'unknown',
      apiRequestId: event.requestContext?.requestId,
      route,
      method,
      status: response.statusCode,
      durationMs: Math.round((clock() - started) * 10) / 10,
      user: caller ? hashUser(caller.sub) : undefined,
      errorCode,
      error: failure,
    });
    return response;
  };
}
