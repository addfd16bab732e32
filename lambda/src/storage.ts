/** The storage port the upload logic depends on. s3-storage.ts implements it; tests use an in-memory fake. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ObjectPage {
  readonly objects: readonly StoredObject[];
  /** Present when more objects follow. */
  readonly continuationToken?: string;
}

export interface PresignedUpload {
  readonly url: string;
  /** Headers the client must send with the PUT, exactly (they are part of the signature). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface Storage {
  /** A URL for one PUT of exactly `size` bytes of `contentType` to `key`, encrypted with the configured KMS key. */
  presignUpload(input: { key: string; contentType: string; size: number; expiresInSeconds: number }): Promise<PresignedUpload>;
  /** A URL for one GET of `key`, served as an attachment named `fileName`. */
  presignDownload(input: { key: string; fileName: string; expiresInSeconds: number }): Promise<string>;
  /** Objects under `prefix`, in key order, at most `limit` per page. */
  list(prefix: string, page: { limit: number; continuationToken?: string }): Promise<ObjectPage>;
  delete(key: string): Promise<void>;
}

/** Thrown by `list` when the backend rejects a continuation token (forged, corrupted or expired). */
export class InvalidContinuationTokenError extends Error {
  constructor() {
    super('The continuation token was rejected by the storage backend');
    this.name = 'InvalidContinuationTokenError';
  }
}
