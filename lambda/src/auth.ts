import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { forbidden, unauthenticated } from './errors';

/** The authenticated caller. `sub` is the only identity used to build S3 keys. */
export interface Caller {
  readonly sub: string;
}

/**
 * Cognito's `sub` is a UUID; accept a conservative superset that can never act as a path segment
 * trick inside an S3 key (no `/`, no `.` runs, no spaces): it becomes `users/<sub>/` verbatim.
 */
export const SUB_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

type JwtContext = Partial<Pick<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'>>;

/**
 * The API Gateway JWT authorizer has verified the token before we run; we only read its claims.
 * No claims or no `sub` → 401 (the route was reached without a verified token); a `sub` we cannot
 * use safely → 403.
 */
export function callerFrom(requestContext: JwtContext | undefined): Caller {
  const claims = requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (sub === undefined || sub === null || sub === '') {
    throw unauthenticated('Missing authenticated user: the request carries no verified token with a "sub" claim');
  }
  if (typeof sub !== 'string' || !SUB_PATTERN.test(sub)) {
    throw forbidden('The token\'s "sub" claim is not an acceptable user id');
  }
  return { sub };
}
