import { checkImage, parseImageReference } from '../../charts/image';
import { placeholderImage } from '../../charts/app';

const PLACEHOLDER_IMAGE = placeholderImage('app');
import { ChartInputError } from '../../charts/errors';

// The grammar itself is tested in test/config/image.test.ts; here: what the charts add to it.
describe('image references in the charts', () => {
  test('accepts a pinned reference', () => {
    expect(parseImageReference('ghcr.io/example-org/web:v1.2.3')).toEqual({ name: 'ghcr.io/example-org/web', tag: 'v1.2.3' });
  });

  test.each([
    ['registry.example.com/web:latest', 'mutable tag "latest"'],
    ['registry.example.com/web', 'neither tag nor digest'],
    ['web:1.0', 'has no registry'],
    ['https://registry.example.com/web:1.0', 'is malformed'],
  ])('fails with ChartInputError when the reference is %j', (image, message) => {
    expect(() => parseImageReference(image)).toThrow(ChartInputError);
    expect(() => parseImageReference(image)).toThrow(message);
  });

  test('the offline placeholder passes checkImage but not parseImageReference', () => {
    expect(() => checkImage(PLACEHOLDER_IMAGE)).not.toThrow();
    expect(() => parseImageReference(PLACEHOLDER_IMAGE)).toThrow('is malformed');
    expect(() => checkImage('registry.example.com/web:main')).toThrow(ChartInputError);
  });
});
