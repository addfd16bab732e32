import { InvalidContinuationTokenError, type Storage, type StoredObject } from '../../../lambda/src/storage';

/** In-memory Storage fake: key-ordered listing with numeric continuation tokens, URLs that name the key. */
export class MemoryStorage implements Storage {
  readonly objects = new Map<string, StoredObject>();
  readonly presigned: { kind: 'put' | 'get'; key: string; contentType?: string; size?: number }[] = [];

  put(key: string, size = 1, lastModified = new Date('2026-01-01T00:00:00Z')): void {
    this.objects.set(key, { key, size, lastModified });
  }

  async presignUpload(input: { key: string; contentType: string; size: number; expiresInSeconds: number }) {
    this.presigned.push({ kind: 'put', key: input.key, contentType: input.contentType, size: input.size });
    return {
      url: `https://bucket.example/${encodeURI(input.key)}?X-Amz-Signature=secret-put`,
      headers: { 'content-type': input.contentType, 'x-amz-server-side-encryption': 'aws:kms' },
    };
  }

  async presignDownload(input: { key: string; fileName: string; expiresInSeconds: number }) {
    this.presigned.push({ kind: 'get', key: input.key });
    return `https://bucket.example/${encodeURI(input.key)}?X-Amz-Signature=secret-get`;
  }

  async list(prefix: string, page: { limit: number; continuationToken?: string }) {
    const start = page.continuationToken === undefined ? 0 : Number(page.continuationToken.replace(/^token-/, ''));
    if (!Number.isInteger(start) || start < 0) throw new InvalidContinuationTokenError();
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    const slice = keys.slice(start, start + page.limit);
    const next = start + page.limit < keys.length ? `token-${start + page.limit}` : undefined;
    return { objects: slice.map((key) => this.objects.get(key)!), continuationToken: next };
  }

  async delete(key: string) {
    this.objects.delete(key);
  }
}
