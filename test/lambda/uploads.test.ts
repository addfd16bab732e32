import { createUploads, type UploadsRequest } from '../../lambda/src/uploads';
import { rejection } from './support/failure';
import { MemoryStorage } from './support/memory-storage';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const OTHER_ID = 'BBBBBBBBBBBBBBBBBBBBBB';
const now = new Date('2026-06-01T12:00:00Z');

function setup() {
  const storage = new MemoryStorage();
  const uploads = createUploads({ storage, config: { maxUploadBytes: 1000, urlExpiresSeconds: 300 }, newId: () => ID, now: () => now });
  return { storage, uploads };
}

const request = (sub: string, extra: Partial<UploadsRequest> = {}): UploadsRequest => ({ caller: { sub }, params: {}, headers: { 'content-type': 'application/json' }, ...extra });
const body = (response: { body?: string }) => JSON.parse(response.body ?? 'null');

describe('uploads.create', () => {
  it("presigns a PUT under the caller's own prefix and returns what the client must send", async () => {
    const { storage, uploads } = setup();
    const response = await uploads.create(request('alice', { body: JSON.stringify({ fileName: 'cat.png', contentType: 'image/png', size: 10 }) }));
    expect(response.statusCode).toBe(201);
    expect(body(response)).toEqual({
      id: ID,
      key: `users/alice/${ID}/cat.png`,
      fileName: 'cat.png',
      size: 10,
      uploadUrl: `https://bucket.example/users/alice/${ID}/cat.png?X-Amz-Signature=secret-put`,
      method: 'PUT',
      headers: { 'content-type': 'image/png', 'x-amz-server-side-encryption': 'aws:kms' },
      expiresAt: '2026-06-01T12:05:00.000Z',
    });
    expect(storage.presigned).toEqual([{ kind: 'put', key: `users/alice/${ID}/cat.png`, contentType: 'image/png', size: 10 }]);
  });

  it('fails when the size is above the limit (413) and presigns nothing', async () => {
    const { storage, uploads } = setup();
    const error = await rejection(uploads.create(request('alice', { body: JSON.stringify({ fileName: 'a.txt', contentType: 'text/plain', size: 1001 }) })));
    expect([error.status, error.code]).toEqual([413, 'payload_too_large']);
    expect(storage.presigned).toEqual([]);
  });

  it('fails when the file name tries to escape the prefix', async () => {
    const { uploads } = setup();
    const error = await rejection(uploads.create(request('alice', { body: JSON.stringify({ fileName: '../../bob/x.txt', contentType: 'text/plain', size: 1 }) })));
    expect(error.status).toBe(400);
  });
});

describe('uploads.list', () => {
  it("lists only the caller's objects, paginated with an opaque cursor", async () => {
    const { storage, uploads } = setup();
    storage.put(`users/alice/${ID}/a.txt`, 3);
    storage.put(`users/alice/${OTHER_ID}/b.txt`, 4);
    storage.put(`users/alice2/${ID}/not-mine.txt`);
    storage.put(`users/bob/${ID}/not-mine.txt`);
    storage.put('users/alice/stray-object');

    const first = body(await uploads.list(request('alice', { query: { limit: '1' } })));
    expect(first.items).toEqual([{ id: ID, fileName: 'a.txt', size: 3, lastModified: '2026-01-01T00:00:00.000Z' }]);
    expect(typeof first.nextCursor).toBe('string');

    const second = body(await uploads.list(request('alice', { query: { limit: '1', cursor: first.nextCursor } })));
    expect(second.items.map((item: { fileName: string }) => item.fileName)).toEqual(['b.txt']);
    const third = body(await uploads.list(request('alice', { query: { limit: '1', cursor: second.nextCursor } })));
    expect(third).toEqual({ items: [], nextCursor: null });
  });

  it('fails when the storage rejects the cursor (400)', async () => {
    const { uploads } = setup();
    const cursor = Buffer.from('bogus').toString('base64url');
    const error = await rejection(uploads.list(request('alice', { query: { cursor } })));
    expect([error.status, error.message]).toEqual([400, 'cursor is invalid or expired: start again without a cursor']);
  });
});

describe('uploads.get and uploads.delete', () => {
  it("presigns a download of the caller's object", async () => {
    const { storage, uploads } = setup();
    storage.put(`users/alice/${ID}/a.txt`, 3);
    const response = await uploads.get(request('alice', { params: { id: ID } }));
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({ id: ID, fileName: 'a.txt', size: 3, method: 'GET', expiresAt: '2026-06-01T12:05:00.000Z' });
    expect(body(response).downloadUrl).toContain(`users/alice/${ID}/a.txt`);
  });

  it("deletes the caller's object (204)", async () => {
    const { storage, uploads } = setup();
    storage.put(`users/alice/${ID}/a.txt`);
    expect((await uploads.delete(request('alice', { params: { id: ID } }))).statusCode).toBe(204);
    expect(storage.objects.size).toBe(0);
  });

  it('fails when another user asks for, or deletes, the object (404, object kept)', async () => {
    const { storage, uploads } = setup();
    storage.put(`users/alice/${ID}/a.txt`);
    expect((await rejection(uploads.get(request('bob', { params: { id: ID } })))).status).toBe(404);
    expect((await rejection(uploads.delete(request('bob', { params: { id: ID } })))).status).toBe(404);
    expect(storage.objects.size).toBe(1);
    expect(storage.presigned).toEqual([]);
  });

  it('fails when the id is malformed (400), before touching storage', async () => {
    const { storage, uploads } = setup();
    const list = jest.spyOn(storage, 'list');
    expect((await rejection(uploads.get(request('alice', { params: { id: '../bob' } })))).status).toBe(400);
    expect(list).not.toHaveBeenCalled();
  });

  it('fails when the object does not exist (404)', async () => {
    const { uploads } = setup();
    expect((await rejection(uploads.delete(request('alice', { params: { id: ID } })))).status).toBe(404);
  });
});
