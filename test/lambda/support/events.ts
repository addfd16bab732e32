import type { ApiEvent } from '../../../lambda/src/app';

/** A payload-2.0 HTTP API event as API Gateway sends it for `routeKey`, with JWT claims when `sub` is given. */
export function apiEvent(
  routeKey: string,
  options: {
    sub?: string | null;
    path?: string;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): ApiEvent {
  const [method, template] = routeKey === '$default' ? ['GET', '/'] : routeKey.split(' ');
  const path = options.path ?? template.replace(/\{(\w+)\}/g, (_, name: string) => options.pathParameters?.[name] ?? name);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const claims = options.sub === undefined || options.sub === null ? undefined : { sub: options.sub, token_use: 'access' };
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token', ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'api-request-id',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: claims ? { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } : (undefined as never),
    },
  } as ApiEvent;
}
