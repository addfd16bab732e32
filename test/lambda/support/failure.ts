import { HttpError } from '../../../lambda/src/errors';

const expectHttpError = (error: unknown): HttpError => {
  if (error instanceof HttpError) return error;
  throw error;
};

/** Runs `fn` and returns the HttpError it throws (fails the test when it throws nothing or something else). */
export function failure(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    return expectHttpError(error);
  }
  throw new Error('expected a failure');
}

/** The HttpError `promise` rejects with (fails the test when it resolves or rejects with something else). */
export async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    return expectHttpError(error);
  }
  throw new Error('expected a failure');
}
