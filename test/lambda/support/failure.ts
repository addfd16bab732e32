import { HttpError } from '../../../lambda/src/errors';

/** Runs `fn` and returns the HttpError it throws (fails the test when it throws nothing or something else). */
export function failure(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}
