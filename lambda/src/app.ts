import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
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

export function routes(uploads: Uploads): RouteDefinition<Endpoint>[] {
  return [
    { method: 'GET', path: '/health', handler: { auth: false, run: async () => json(200, { status: 'ok' }) } },
    { method: 'POST', path: '/uploads', handler: { auth: true, run: uploads.create } },
    { method: 'GET', path: '/uploads', handler: { auth: true, run: uploads.list } },
    { method: 'GET', path: '/uploads/{id}', handler: { auth: true, run: uploads.get } },
    { method: 'DELETE', path: '/uploads/{id}', handler: { auth: true, run: uploads.delete } },
  ];
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

