import { API_ROUTES, routeKey } from '../../config/api';
import { createHandler, routes } from '../../lambda/src/app';
import { createRequestLogger } from '../../lambda/src/logger';
import { createUploads } from '../../lambda/src/uploads';
import { apiEvent } from './support/events';
import { MemoryStorage } from './support/memory-storage';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

function setup() {
  const storage = new MemoryStorage();
  const lines: string[] = [];
  const uploads = createUploads({ storage, config: { maxUploadBytes: 100, urlExpiresSeconds: 300 }, newId: () => ID, now: () => new Date(0) });
  const handler = createHandler({ uploads, log: createRequestLogger((line) => lines.push(line)) });
  const call = async (event: Parameters<typeof handler>[0]) => {
    const response = await handler(event, { awsRequestId: 'lambda-request-id' });
    return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
  };
  return { storage, lines, call };
}

describe('handler', () => {
  it('serves GET /health without authentication', async () => {
    const { call } = setup();
    const response = await call(apiEvent('GET /health'));
    expect([response.statusCode, response.json]).toEqual([200, { status: 'ok' }]);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  });

  it('goes through create, list, get and delete for one user', async () => {
    const { call, storage } = setup();
    const created = await call(apiEvent('POST /uploads', { sub: 'alice', body: { fileName: 'a.txt', contentType: 'text/plain', size: 5 } }));
    expect(created.statusCode).toBe(201);
    storage.put(created.json.key, 5);
    const listed = await call(apiEvent('GET /uploads', { sub: 'alice' }));
    expect(listed.json.items).toHaveLength(1);
    expect((await call(apiEvent('GET /uploads/{id}', { sub: 'alice', pathParameters: { id: ID } }))).statusCode).toBe(200);
    const deleted = await call(apiEvent('DELETE /uploads/{id}', { sub: 'alice', pathParameters: { id: ID } }));
    expect([deleted.statusCode, deleted.body]).toEqual([204, undefined]);
  });

  it('fails when an /uploads route has no sub claim (401 JSON error)', async () => {
    const { call } = setup();
    const response = await call(apiEvent('GET /uploads', { sub: null }));
    expect(response.statusCode).toBe(401);
    expect(response.json).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('"sub"') } });
  });

  it('fails when the sub claim is unsafe (403)', async () => {
    const { call } = setup();
    expect((await call(apiEvent('GET /uploads', { sub: '../bob' }))).statusCode).toBe(403);
  });

  it('fails when the route is unknown (404) or the method is wrong (405 with Allow)', async () => {
    const { call } = setup();
    const missing = await call(apiEvent('$default', { path: '/admin' }));
    expect([missing.statusCode, missing.json.error.code]).toEqual([404, 'not_found']);
    const wrong = await call({
      ...apiEvent('$default', { path: '/uploads' }),
      requestContext: { ...apiEvent('$default').requestContext, http: { ...apiEvent('$default').requestContext.http, method: 'PUT', path: '/uploads' } },
    });
    expect([wrong.statusCode, wrong.headers?.allow, wrong.json.error.message]).toEqual([405, 'GET, POST', 'Method PUT is not allowed here; allowed: GET, POST']);
  });

  it('fails when the body has the wrong content type or is invalid JSON (400 naming the problem)', async () => {
    const { call } = setup();
    const form = await call(apiEvent('POST /uploads', { sub: 'alice', body: 'fileName=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect([form.statusCode, form.json.error.message]).toEqual([400, 'Content-Type must be application/json, got "application/x-www-form-urlencoded"']);
    const broken = await call(apiEvent('POST /uploads', { sub: 'alice', body: '{"fileName":' }));
    expect([broken.statusCode, broken.json.error.code]).toEqual([400, 'invalid_json']);
    const type = await call(apiEvent('POST /uploads', { sub: 'alice', body: { fileName: 'a.svg', contentType: 'image/svg+xml', size: 1 } }));
    expect(type.json.error.message).toBe('contentType "image/svg+xml" is not allowed; allowed: image/png, image/jpeg, application/pdf, text/plain, text/csv');
  });

  it('fails when the declared size is above the limit (413)', async () => {
    const { call } = setup();
    const response = await call(apiEvent('POST /uploads', { sub: 'alice', body: { fileName: 'a.txt', contentType: 'text/plain', size: 101 } }));
    expect([response.statusCode, response.json.error.code]).toEqual([413, 'payload_too_large']);
  });

  it('fails when the storage throws: 500 with a generic message, details only in the (redacted) log', async () => {
    const { call, storage, lines } = setup();
    storage.list = async () => {
      throw new Error('socket hang up at https://bucket.s3.amazonaws.com/?X-Amz-Signature=abc');
    };
    const response = await call(apiEvent('GET /uploads', { sub: 'alice' }));
    expect(response.json).toEqual({ error: { code: 'internal_error', message: 'Internal error; see the logs for this request id' } });
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'error', status: 500, requestId: 'lambda-request-id', error: { name: 'Error', message: 'socket hang up at <url>' } });
  });

  it('logs one line per request with request id, route, status, duration and hashed user — never URLs or tokens', async () => {
    const { call, lines } = setup();
    await call(apiEvent('POST /uploads', { sub: 'alice', body: { fileName: 'a.txt', contentType: 'text/plain', size: 5 } }));
    await call(apiEvent('GET /health'));
    expect(lines).toHaveLength(2);
    const entry = JSON.parse(lines[0]);
    expect(entry).toEqual({
      level: 'info',
      message: 'request',
      requestId: 'lambda-request-id',
      apiRequestId: 'api-request-id',
      route: 'POST /uploads',
      method: 'POST',
      status: 201,
      durationMs: expect.any(Number),
      user: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const all = lines.join('\n');
    for (const secret of ['alice', 'secret-token', 'Bearer', 'X-Amz-Signature', 'https://']) expect(all).not.toContain(secret);
  });
});

describe('routes', () => {
  it('serve exactly the shared route table (config/api.ts, which infra turns into API Gateway routes), with its auth flags', () => {
    const uploads = createUploads({ storage: new MemoryStorage(), config: { maxUploadBytes: 100, urlExpiresSeconds: 300 }, newId: () => ID, now: () => new Date(0) });
    expect(routes(uploads).map((r) => `${r.method} ${r.path} auth=${r.handler.auth}`)).toEqual(API_ROUTES.map((r) => `${routeKey(r)} auth=${r.authorized}`));
  });
});
