import { ImageReferenceError, parseImageReference as parseReference, placeholder, type ImageReference } from '../config';
import { ChartInputError } from './errors';

/** The grammar lives in `config/image.ts` (shared with the deploy command); the charts report it as `ChartInputError`. */
export { MUTABLE_TAGS, type ImageReference } from '../config';

/** The images carried by the offline (committed) manifests (`<placeholder:image-<name>>`); the deploy command refuses to apply them. */
const PLACEHOLDER_IMAGE = new RegExp(`^${placeholder('image-[a-z0-9-]+')}$`);

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
  if (!PLACEHOLDER_IMAGE.test(image)) parseImageReference(image);
}
