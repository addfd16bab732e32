import { createRequestLogger, hashUser, redact } from '../../lambda/src/logger';

describe('logger', () => {
  it('writes one JSON line per request with a level derived from the status', () => {
    const lines: string[] = [];
    const log = createRequestLogger((line) => lines.push(line));
    log({ requestId: 'r1', route: 'GET /health', method: 'GET', status: 200, durationMs: 1.5 });
    log({ requestId: 'r2', route: 'GET /uploads', method: 'GET', status: 404, durationMs: 1, errorCode: 'not_found' });
    log({ requestId: 'r3', route: 'GET /uploads', method: 'GET', status: 500, durationMs: 1, error: { name: 'Error', message: 'boom' } });
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['info', 'warn', 'error']);
    expect(JSON.parse(lines[0])).toEqual({ level: 'info', message: 'request', requestId: 'r1', route: 'GET /health', method: 'GET', status: 200, durationMs: 1.5 });
  });

  it('pseudonymises the user with a stable truncated hash', () => {
    expect(hashUser('abc')).toBe(hashUser('abc'));
    expect(hashUser('abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(hashUser('abc')).not.toContain('abc');
  });

  it('redacts URLs, bearer tokens and signature parameters from error messages', () => {
    const message = redact('failed https://b.s3.amazonaws.com/k?X-Amz-Signature=abc with Bearer eyJhbGci and X-Amz-Credential=AKIA/x');
    expect(message).toBe('failed <url> with Bearer <redacted> and <redacted>');
  });
});
