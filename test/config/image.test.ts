import { checkDeployImage, IMAGE_REFERENCE_FORMS, ImageReferenceError, MUTABLE_TAGS, parseImageReference } from '../../config';

const A = 'a'.repeat(64);

describe('image references (the one grammar: charts and deploy command)', () => {
  test.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web:3f2c1a9', { name: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web', tag: '3f2c1a9' }],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web:2026.11.26-abc123',
      { name: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/web', tag: '2026.11.26-abc123' },
    ],
    ['ghcr.io/example-org/web:v1.2.3', { name: 'ghcr.io/example-org/web', tag: 'v1.2.3' }],
    ['registry.local/web:1.0.0', { name: 'registry.local/web', tag: '1.0.0' }],
    ['localhost:5000/web:1.0.0', { name: 'localhost:5000/web', tag: '1.0.0' }],
    ['library/web:1', { name: 'library/web', tag: '1' }],
    [`localhost:5000/web@sha256:${A}`, { name: 'localhost:5000/web', digest: `sha256:${A}` }],
    [`web@sha256:${'0'.repeat(64)}`, { name: 'web', digest: `sha256:${'0'.repeat(64)}` }],
    [`ghcr.io/o/web:1.0@sha256:${'f'.repeat(64)}`, { name: 'ghcr.io/o/web', tag: '1.0', digest: `sha256:${'f'.repeat(64)}` }],
    [`registry.local/web:latest@sha256:${A}`, { name: 'registry.local/web', tag: 'latest', digest: `sha256:${A}` }],
  ])('accepts %s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });

  test.each([
    ['', 'image reference is ""'],
    ['registry.example.com/web:latest', 'mutable tag "latest"'],
    ['registry.example.com/web:LATEST', 'mutable tag "LATEST"'],
    ['registry.example.com/web:main', 'mutable tag "main"'],
    ['registry.example.com/web', 'neither tag nor digest'],
    ['web:1.0', 'has no registry'],
    ['https://registry.example.com/web:1.0', 'is malformed'],
    ['registry.local/Web:1', 'is malformed'],
    ['Registry Local/web:1', 'is malformed'],
    ['-web:1', 'is malformed'],
    ['web@sha256:abc', 'is malformed'],
    [`web@sha256:${'0'.repeat(63)}`, 'is malformed'],
    ['registry.example.com/web:1.0; rm -rf /', 'is malformed'],
    [`registry.example.com/${'a'.repeat(520)}:1`, 'longer than 512 characters'],
    ['<placeholder:image>', 'is malformed'],
  ])('fails when the reference is %j', (image, message) => {
    expect(() => parseImageReference(image)).toThrow(message);
  });

  test('refuses every mutable tag', () => {
    for (const tag of MUTABLE_TAGS) expect(() => parseImageReference(`registry.local/web:${tag}`)).toThrow(`mutable tag "${tag}"`);
  });

  test('the error is an ImageReferenceError naming the value and the allowed forms', () => {
    let error: unknown;
    try {
      parseImageReference('registry.local/web');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageReferenceError);
    expect((error as ImageReferenceError).name).toBe('ImageReferenceError');
    expect((error as ImageReferenceError).image).toBe('registry.local/web');
    expect((error as Error).message).toBe(`image reference "registry.local/web" has neither tag nor digest; ${IMAGE_REFERENCE_FORMS}`);
  });

  test('refuses non-string input without crashing', () => {
    expect(() => parseImageReference(undefined as unknown as string)).toThrow(ImageReferenceError);
  });
});

describe("checkDeployImage (the deploy command's image policy)", () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  const ECR = '123456789012.dkr.ecr.eu-central-1.amazonaws.com/platform/web';
  const prod = { name: 'prod', production: true };
  const dev = { name: 'dev', production: false };

  it('production accepts an image by digest, with or without a tag, in ECR or elsewhere', () => {
    expect(checkDeployImage(`${ECR}@${DIGEST}`, prod)).toEqual({ warnings: [] });
    expect(checkDeployImage(`${ECR}:1.4.2@${DIGEST}`, prod)).toEqual({ warnings: [] });
    expect(checkDeployImage(`ghcr.io/org/web@${DIGEST}`, prod)).toEqual({ warnings: [] });
  });

  it('fails when production is given a tag, even an immutable ECR tag, naming the image, environment and the allowed form', () => {
    expect(() => checkDeployImage(`${ECR}:1.4.2`, prod)).toThrow(ImageReferenceError);
    expect(() => checkDeployImage(`${ECR}:1.4.2`, prod)).toThrow(
      `image reference "${ECR}:1.4.2" is pinned by tag; environment "prod" is production and accepts only images by digest ("repository@sha256:<64 hex digits>"`,
    );
  });

  it('elsewhere accepts a tag: silently in ECR (immutable tags), with a warning outside ECR', () => {
    expect(checkDeployImage(`${ECR}:1.4.2`, dev)).toEqual({ warnings: [] });
    expect(checkDeployImage('registry.example/web:1.4.2', dev)).toEqual({
      warnings: [
        'image registry.example/web:1.4.2 is referenced by tag "1.4.2" outside ECR: such a tag can be moved to other content; prefer registry.example/web@sha256:<digest>',
      ],
    });
    // A look-alike host is not ECR.
    expect(checkDeployImage('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/web:1', dev).warnings).toHaveLength(1);
  });

  it('still applies the reference grammar (mutable tags fail everywhere)', () => {
    expect(() => checkDeployImage(`${ECR}:latest`, dev)).toThrow(/mutable tag "latest"/);
    expect(() => checkDeployImage('not an image', dev)).toThrow(/is malformed/);
  });
});
