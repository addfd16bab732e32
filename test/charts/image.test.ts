import { checkImage, parseImageReference, PLACEHOLDER_IMAGE } from '../../charts/image';

describe('image references', () => {
  test.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web:3f2c1a9', { name: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web', tag: '3f2c1a9' }],
    ['ghcr.io/example-org/web:v1.2.3', { name: 'ghcr.io/example-org/web', tag: 'v1.2.3' }],
    ['localhost:5000/web:1.0.0', { name: 'localhost:5000/web', tag: '1.0.0' }],
    [`web@sha256:${'0'.repeat(64)}`, { name: 'web', digest: `sha256:${'0'.repeat(64)}` }],
    [`ghcr.io/o/web:1.0@sha256:${'f'.repeat(64)}`, { name: 'ghcr.io/o/web', tag: '1.0', digest: `sha256:${'f'.repeat(64)}` }],
  ])('accepts %s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expect.objectContaining(expected));
  });

  test.each([
    ['registry.example.com/web:latest', 'mutable tag "latest"'],
    ['registry.example.com/web:main', 'mutable tag "main"'],
    ['registry.example.com/web', 'neither tag nor digest'],
    ['web:1.0', 'has no registry'],
    ['https://registry.example.com/web:1.0', 'is malformed'],
    [`web@sha256:${'0'.repeat(63)}`, 'is malformed'],
    ['registry.example.com/web:1.0; rm -rf /', 'is malformed'],
  ])('fails when the reference is %j', (image, message) => {
    expect(() => parseImageReference(image)).toThrow(message);
  });

  test('the offline placeholder passes checkImage but not parseImageReference', () => {
    expect(() => checkImage(PLACEHOLDER_IMAGE)).not.toThrow();
    expect(() => parseImageReference(PLACEHOLDER_IMAGE)).toThrow('is malformed');
  });
});
