import { ImageReferenceError, parseImageReference as parseReference, placeholder, type ImageReference } from '../config';
import { ChartInputError } from './errors';

/** The grammar lives in `config/image.ts` (shared with the deploy command); the charts report it as `ChartInputError`. */
export { MUTABLE_TAGS, type ImageReference } from '../config';

/** The image carried by the offline (committed) manifests; the deploy command refuses to apply it. */
export const PLACEHOLDER_IMAGE = placeholder('image');

/** Parses and checks an image reference; throws `ChartInputError` naming the value and the allowed forms. */
export function parseImageReference(image: string): ImageReference {
  try {
    return parseReference(image);
  } catch (e) {
    if (e instanceof ImageReferenceError) throw new ChartInputError(e.message);
    throw e;
  }
}

/** Like `parseImageReference`, but also accepts the offline placeholder (synth without a built image). */
export function checkImage(image: string): void {
  if (image !== PLACEHOLDER_IMAGE) parseImageReference(image);
}
