import { header, MAX_BODY_BYTES, parseJsonBody } from '../../lambda/src/request-body';
import { failure } from './support/failure';

const json = { 'content-type': 'application/json' };

describe('parseJsonBody', () => {
  it('parses a JSON object, also when base64-encoded and with a charset', () => {
    expect(parseJsonBody({ headers: json, body: '{"a":1}' })).toEqual({ a: 1 });
    expect(parseJsonBody({ headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: Buffer.from('{"a":2}').toString('base64'), isBase64Encoded: true })).toEqual({
      a: 2,
    });
  });

  it('fails when the content type is not application/json, naming it', () => {
    const error = failure(() => parseJsonBody({ headers: { 'content-type': 'text/plain' }, body: '{}' }));
    expect([error.status, error.code, error.message]).toEqual([400, 'unsupported_media_type', 'Content-Type must be application/json, got "text/plain"']);
    expect(failure(() => parseJsonBody({ headers: {}, body: '{}' })).message).toBe('Content-Type must be application/json, got none');
  });

  it('fails when the body is not valid JSON', () => {
    const error = failure(() => parseJsonBody({ headers: json, body: '{"a":' }));
    expect([error.status, error.code]).toEqual([400, 'invalid_json']);
    expect(error.message).toMatch(/^Request body is not valid JSON: /);
  });

  it.each([
    ['[]', 'an array'],
    ['null', 'null'],
    ['"x"', 'string'],
    ['', 'empty'],
  ])('fails when the body is %j', (body, why) => {
    expect(failure(() => parseJsonBody({ headers: json, body })).message).toContain(why);
  });

  it('fails when the body is too large', () => {
    expect(failure(() => parseJsonBody({ headers: json, body: JSON.stringify({ a: 'x'.repeat(MAX_BODY_BYTES) }) })).message).toContain(`${MAX_BODY_BYTES} bytes`);
  });
});

describe('header', () => {
  it('finds a header whatever its case', () => {
    expect(header({ 'Content-Type': 'a' }, 'content-type')).toBe('a');
    expect(header(undefined, 'x')).toBeUndefined();
  });
});
