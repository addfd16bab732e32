import { ALLOWED_CONTENT_TYPES, validateContentType, validateFileName, validateSize, validateUploadId, validateUploadRequest } from '../../lambda/src/validation';
import { failure } from './support/failure';

const MAX = 10 * 1024 * 1024;

describe('validateFileName', () => {
  it('normalises to NFC and trims surrounding spaces', () => {
    expect(validateFileName('  Cafe\u0301 menu.pdf ')).toBe('Caf\u00e9 menu.pdf');
    expect(validateFileName('résumé (final).txt')).toBe('résumé (final).txt');
  });

  it('accepts a name of exactly 255 bytes', () => {
    expect(validateFileName('a'.repeat(251) + '.txt')).toHaveLength(255);
  });

  it.each([
    ['../etc/passwd', 'path separator'],
    ['a/b.txt', 'path separator'],
    ['a\\b.txt', 'path separator'],
    ['..', '".."'],
    ['x..y', '".."'],
    ['.', '"."'],
    ['a\u0000b', 'control characters'],
    ['a\nb', 'control characters'],
    ['a\u007fb', 'control characters'],
    ['invoice\u202egpj.exe', 'control characters'],
    ['   ', 'must not be empty'],
  ])('fails when the name is unsafe: %j', (name, why) => {
    const { status, message } = failure(() => validateFileName(name));
    expect(status).toBe(400);
    expect(message).toContain(why);
  });

  it('fails when the name is longer than 255 bytes (counting UTF-8 bytes)', () => {
    expect(failure(() => validateFileName('a'.repeat(256))).message).toContain('256 bytes');
    expect(failure(() => validateFileName('é'.repeat(128))).message).toContain('256 bytes');
  });

  it('fails when the name is not a string', () => {
    expect(failure(() => validateFileName(7)).message).toBe('fileName must be a string, got 7 (number)');
    expect(failure(() => validateFileName(undefined)).message).toBe('fileName must be a string, got nothing');
  });
});

describe('validateContentType', () => {
  it.each(ALLOWED_CONTENT_TYPES.map((type) => [type]))('accepts %s', (type) => {
    expect(validateContentType(type)).toBe(type);
  });

  it('accepts any letter case', () => {
    expect(validateContentType('Image/PNG')).toBe('image/png');
  });

  it('fails when the type is not allowed, naming the value and the allowed list', () => {
    const { status, message } = failure(() => validateContentType('text/html'));
    expect(status).toBe(400);
    expect(message).toBe('contentType "text/html" is not allowed; allowed: image/png, image/jpeg, application/pdf, text/plain, text/csv');
  });

  it('fails when the type carries parameters or is not a string', () => {
    expect(failure(() => validateContentType('text/plain; charset=utf-8')).status).toBe(400);
    expect(failure(() => validateContentType(null)).message).toContain('got null (null)');
  });
});

describe('validateSize', () => {
  it('accepts 1 byte up to the limit', () => {
    expect(validateSize(1, MAX)).toBe(1);
    expect(validateSize(MAX, MAX)).toBe(MAX);
  });

  it('fails when the size exceeds the limit (413)', () => {
    const { status, message } = failure(() => validateSize(MAX + 1, MAX));
    expect({ status, message }).toEqual({ status: 413, message: `size ${MAX + 1} exceeds the upload limit of ${MAX} bytes` });
  });

  it.each([[0], [-1], [1.5], ['10'], [Number.NaN], [Number.MAX_SAFE_INTEGER + 2], [null]])('fails when the size is %p (400)', (size) => {
    expect(failure(() => validateSize(size, MAX)).status).toBe(400);
  });
});

describe('validateUploadRequest', () => {
  it('returns the validated, normalised request', () => {
    expect(validateUploadRequest({ fileName: ' a.png', contentType: 'image/png', size: 3 }, MAX)).toEqual({ fileName: 'a.png', contentType: 'image/png', size: 3 });
  });

  it('fails when a field is unknown', () => {
    expect(failure(() => validateUploadRequest({ fileName: 'a.png', contentType: 'image/png', size: 3, key: 'users/x' }, MAX)).message).toBe(
      'Unknown field(s) "key"; allowed: fileName, contentType, size',
    );
  });

  it('fails when a field is missing', () => {
    expect(failure(() => validateUploadRequest({ fileName: 'a.png', size: 3 }, MAX)).message).toContain('contentType must be a string, got nothing');
  });
});

describe('validateUploadId', () => {
  it('accepts 16 to 64 URL-safe characters', () => {
    expect(validateUploadId('AbCdEfGhIjKlMnOp')).toBe('AbCdEfGhIjKlMnOp');
    expect(validateUploadId('a_-'.repeat(21) + 'z')).toHaveLength(64);
  });

  it.each([['short'], ['x'.repeat(65)], ['../../users/other'], ['AbCdEfGhIjKlMnOp/x'], ['AbCdEfGhIjKlMnO*'], [undefined]])('fails when the id is %p', (id) => {
    expect(failure(() => validateUploadId(id)).status).toBe(400);
  });
});
