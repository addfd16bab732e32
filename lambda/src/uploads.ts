import type { Caller } from './auth';
import type { Config } from './config';
import { badRequest, notFound } from './errors';
import { objectKey, parseObjectKey, uploadPrefix, userPrefix } from './keys';
import { encodeCursor, parsePageRequest } from './pagination';
import { parseJsonBody } from './request-body';
import { json, noContent, type HttpResponse } from './responses';
import { InvalidContinuationTokenError, type Storage, type StoredObject } from './storage';
import { validateUploadId, validateUploadRequest } from './validation';

export interface UploadsDeps {
  readonly storage: Storage;
  readonly config: Pick<Config, 'maxUploadBytes' | 'urlExpiresSeconds'>;
  readonly newId: () => string;
  readonly now: () => Date;
}

export interface UploadsRequest {
  readonly caller: Caller;
  readonly params: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/**
 * The upload use cases. Every key is derived from `caller.sub` (never from input), so one user's
 * requests can only ever touch `users/<own sub>/`; another user's id is simply not found (404).
 */
export function createUploads({ storage, config, newId, now }: UploadsDeps) {
  const expiresAt = () => new Date(now().getTime() + config.urlExpiresSeconds * 1000).toISOString();

  /** The caller's object for `id`, or 404. */
  async function findOwn(caller: Caller, rawId: string | undefined): Promise<{ id: string; fileName: string; object: StoredObject }> {
    const id = validateUploadId(rawId);
    const { objects } = await storage.list(uploadPrefix(caller.sub, id), { limit: 1 });
    const object = objects[0];
    const parsed = object && parseObjectKey(caller.sub, object.key);
    if (!object || !parsed || parsed.id !== id) throw notFound(`Upload ${id} not found`);
    return { id, fileName: parsed.fileName, object };
  }

  return {
    async create(request: UploadsRequest): Promise<HttpResponse> {
      const upload = validateUploadRequest(parseJsonBody(request), config.maxUploadBytes);
      const id = newId();
      const key = objectKey(request.caller.sub, id, upload.fileName);
      const presigned = await storage.presignUpload({
        key,
        contentType: upload.contentType,
        size: upload.size,
        expiresInSeconds: config.urlExpiresSeconds,
      });
      return json(201, {
        id,
        key,
        fileName: upload.fileName,
        size: upload.size,
        uploadUrl: presigned.url,
        method: 'PUT',
        headers: presigned.headers,
        expiresAt: expiresAt(),
      });
    },

    async list(request: UploadsRequest): Promise<HttpResponse> {
      const page = parsePageRequest(request.query);
      let result;
      try {
        result = await storage.list(userPrefix(request.caller.sub), page);
      } catch (error) {
        if (error instanceof InvalidContinuationTokenError) throw badRequest('cursor is invalid or expired: start again without a cursor');
        throw error;
      }
      const items = result.objects.flatMap((object) => {
        const parsed = parseObjectKey(request.caller.sub, object.key);
        return parsed ? [{ id: parsed.id, fileName: parsed.fileName, size: object.size, lastModified: object.lastModified.toISOString() }] : [];
      });
      return json(200, { items, nextCursor: result.continuationToken ? encodeCursor(result.continuationToken) : null });
    },

    async get(request: UploadsRequest): Promise<HttpResponse> {
      const { id, fileName, object } = await findOwn(request.caller, request.params.id);
      const downloadUrl = await storage.presignDownload({ key: object.key, fileName, expiresInSeconds: config.urlExpiresSeconds });
      return json(200, {
        id,
        fileName,
        size: object.size,
        lastModified: object.lastModified.toISOString(),
        downloadUrl,
        method: 'GET',
        expiresAt: expiresAt(),
      });
    },

    async delete(request: UploadsRequest): Promise<HttpResponse> {
      const { object } = await findOwn(request.caller, request.params.id);
      await storage.delete(object.key);
      return noContent();
    },
  };
}

export type Uploads = ReturnType<typeof createUploads>;
