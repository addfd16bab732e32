/**
 * Pure request routing. HTTP API gives the matched route as `routeKey` ("GET /uploads/{id}") with
 * `pathParameters`; that is used first. For a catch-all integration (`$default`, `ANY /{proxy+}`) the
 * method and path are matched against the same table instead, which also tells 404 from 405.
 */
export interface RouteDefinition<H> {
  readonly method: string;
  /** A path template, `{name}` matching one non-empty segment. */
  readonly path: string;
  readonly handler: H;
}

export interface RouteRequest {
  readonly routeKey?: string;
  readonly method: string;
  /** Raw request path; a leading `/<stage>` is removed when the stage is not `$default`. */
  readonly path: string;
  readonly stage?: string;
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
}

export type RouteMatch<H> =
  | { readonly kind: 'matched'; readonly routeKey: string; readonly handler: H; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not_found' };

const keyOf = (route: { method: string; path: string }): string => `${route.method} ${route.path}`;

function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const name = /^\{(\w+)\}$/.exec(want[i])?.[1];
    if (name === undefined) {
      if (want[i] !== got[i]) return undefined;
    } else {
      if (got[i] === '') return undefined;
      try {
        params[name] = decodeURIComponent(got[i]);
      } catch {
        params[name] = got[i];
      }
    }
  }
  return params;
}

function definedOnly(params: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {})) if (value !== undefined) out[key] = value;
  return out;
}

export function createRouter<H>(routes: readonly RouteDefinition<H>[]) {
  const byKey = new Map(routes.map((route) => [keyOf(route), route]));
  return function match(request: RouteRequest): RouteMatch<H> {
    const exact = request.routeKey === undefined ? undefined : byKey.get(request.routeKey);
    if (exact) return { kind: 'matched', routeKey: keyOf(exact), handler: exact.handler, params: definedOnly(request.pathParameters) };

    let path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    if (request.stage && request.stage !== '$default' && path.startsWith(`/${request.stage}/`)) path = path.slice(request.stage.length + 1);
    const method = request.method.toUpperCase();
    const allow: string[] = [];
    for (const route of routes) {
      const params = matchTemplate(route.path, path);
      if (!params) continue;
      if (route.method === method) return { kind: 'matched', routeKey: keyOf(route), handler: route.handler, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
  };
}
