import { callerFrom } from '../../lambda/src/auth';
import { failure } from './support/failure';

const context = (claims: Record<string, unknown> | undefined) =>
  ({ authorizer: claims === undefined ? undefined : { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } }) as never;

const statusOf = (fn: () => unknown): number => failure(fn).status;

describe('callerFrom', () => {
  it('returns the sub claim of the JWT authorizer', () => {
    expect(callerFrom(context({ sub: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' }))).toEqual({ sub: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' });
  });

  it('fails when there is no authorizer, no claims or no sub (401)', () => {
    expect(statusOf(() => callerFrom(undefined))).toBe(401);
    expect(statusOf(() => callerFrom(context(undefined)))).toBe(401);
    expect(statusOf(() => callerFrom(context({ email: 'a@b.c' })))).toBe(401);
    expect(statusOf(() => callerFrom(context({ sub: '' })))).toBe(401);
  });

  it.each([['../other'], ['a/b'], ['user 1'], ['.hidden'], ['x'.repeat(129)], [42]])('fails when sub is unusable as a key segment: %p (403)', (sub) => {
    expect(statusOf(() => callerFrom(context({ sub })))).toBe(403);
  });
});
