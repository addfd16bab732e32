import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, parsePageRequest } from '../../lambda/src/pagination';
import { failure } from './support/failure';

describe('pagination', () => {
  it('defaults the limit and has no token without a cursor', () => {
    expect(parsePageRequest(undefined)).toEqual({ limit: DEFAULT_PAGE_SIZE });
  });

  it('round-trips an S3 continuation token through the opaque cursor', () => {
    const token = '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+';
    const cursor = encodeCursor(token);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(token);
    expect(parsePageRequest({ limit: '100', cursor })).toEqual({ limit: 100, continuationToken: token });
  });

  it.each([['0'], ['101'], ['-1'], ['1.5'], ['ten'], ['']])('fails when the limit is %j', (limit) => {
    const error = failure(() => parsePageRequest({ limit }));
    expect(error.status).toBe(400);
    expect(error.message).toContain('limit must be an integer from 1 to 100');
  });

  it.each([['not base64!'], ['a+b/c='], ['x'.repeat(2049)], ['AB']])('fails when the cursor is %j', (cursor) => {
    expect(failure(() => parsePageRequest({ cursor })).message).toContain('cursor is invalid');
  });

  it('fails when an unknown query parameter is given', () => {
    expect(failure(() => parsePageRequest({ prefix: 'users/' })).message).toBe('Unknown query parameter(s) "prefix"; allowed: limit, cursor');
  });
});
