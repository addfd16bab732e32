import { createRouter } from '../../lambda/src/router';

const match = createRouter([
  { method: 'GET', path: '/health', handler: 'health' },
  { method: 'POST', path: '/uploads', handler: 'create' },
  { method: 'GET', path: '/uploads', handler: 'list' },
  { method: 'GET', path: '/uploads/{id}', handler: 'get' },
  { method: 'DELETE', path: '/uploads/{id}', handler: 'delete' },
]);

describe('router', () => {
  it('matches an explicit HTTP API routeKey and passes pathParameters through', () => {
    expect(match({ routeKey: 'GET /uploads/{id}', method: 'GET', path: '/uploads/abc', pathParameters: { id: 'abc' } })).toEqual({
      kind: 'matched',
      routeKey: 'GET /uploads/{id}',
      handler: 'get',
      params: { id: 'abc' },
    });
  });

  it('distinguishes routes that share a path by method', () => {
    expect(match({ routeKey: 'POST /uploads', method: 'POST', path: '/uploads' })).toMatchObject({ handler: 'create' });
    expect(match({ routeKey: 'GET /uploads', method: 'GET', path: '/uploads' })).toMatchObject({ handler: 'list' });
    expect(match({ routeKey: 'DELETE /uploads/{id}', method: 'DELETE', path: '/uploads/x' })).toMatchObject({ handler: 'delete' });
  });

  it('falls back to method and path for a $default route, decoding path parameters', () => {
    expect(match({ routeKey: '$default', method: 'get', path: '/uploads/a%2Db/' })).toEqual({
      kind: 'matched',
      routeKey: 'GET /uploads/{id}',
      handler: 'get',
      params: { id: 'a-b' },
    });
  });

  it('strips a named stage from the path', () => {
    expect(match({ routeKey: '$default', method: 'GET', path: '/prod/health', stage: 'prod' })).toMatchObject({ handler: 'health' });
  });

  it('fails when the path is unknown (404)', () => {
    expect(match({ routeKey: '$default', method: 'GET', path: '/nope' })).toEqual({ kind: 'not_found' });
    expect(match({ routeKey: '$default', method: 'GET', path: '/uploads/a/b' })).toEqual({ kind: 'not_found' });
    expect(match({ routeKey: '$default', method: 'GET', path: '/uploads//x' })).toEqual({ kind: 'not_found' });
  });

  it('fails when the method is not allowed on a known path (405 with the allowed methods)', () => {
    expect(match({ routeKey: '$default', method: 'PUT', path: '/uploads/abc' })).toEqual({ kind: 'method_not_allowed', allow: ['GET', 'DELETE'] });
    expect(match({ routeKey: 'PATCH /uploads', method: 'PATCH', path: '/uploads' })).toEqual({ kind: 'method_not_allowed', allow: ['POST', 'GET'] });
  });
});
