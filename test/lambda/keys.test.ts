import { objectKey, parseObjectKey, uploadPrefix, userPrefix } from '../../lambda/src/keys';

const id = 'AbCdEfGhIjKlMnOpQrStUv';

describe('keys', () => {
  it('builds every key under users/<sub>/', () => {
    expect(userPrefix('u1')).toBe('users/u1/');
    expect(uploadPrefix('u1', id)).toBe(`users/u1/${id}/`);
    expect(objectKey('u1', id, 'a b.txt')).toBe(`users/u1/${id}/a b.txt`);
  });

  it('parses its own keys back', () => {
    expect(parseObjectKey('u1', objectKey('u1', id, 'report.pdf'))).toEqual({ id, fileName: 'report.pdf' });
  });

  it('fails when the key belongs to another user or does not fit the layout', () => {
    expect(parseObjectKey('u1', objectKey('u2', id, 'report.pdf'))).toBeUndefined();
    expect(parseObjectKey('u1', 'users/u10/' + id + '/x')).toBeUndefined();
    expect(parseObjectKey('u1', `users/u1/short/x`)).toBeUndefined();
    expect(parseObjectKey('u1', `users/u1/${id}/`)).toBeUndefined();
    expect(parseObjectKey('u1', `users/u1/${id}/a/b`)).toBeUndefined();
    expect(parseObjectKey('u1', `users/u1/${id}`)).toBeUndefined();
  });
});
