import { createHash } from 'node:crypto';

/**
 * One structured JSON line per request. Only the fields below are ever written: no headers, no body,
 * no query string, no token and no presigned URL can reach the log through this type.
 */
export interface RequestLog {
  readonly requestId: string;
  readonly apiRequestId?: string;
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly durationMs: number;
  /** Pseudonymous user: a truncated SHA-256 of `sub`. */
  readonly user?: string;
  readonly errorCode?: string;
  /** Unexpected failures only: error class and message. */
  readonly error?: { readonly name: string; readonly message: string };
}

export type LogSink = (line: string) => void;

/** Lambda forwards stdout lines to CloudWatch as they are (console.log would add a text prefix). */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export const hashUser = (sub: string): string => createHash('sha256').update(sub).digest('hex').slice(0, 16);

/** Strips anything that looks like a URL query or a bearer token out of a free-text error message. */
export const redact = (message: string): string =>
  message
    .replace(/https?:\/\/\S+/gi, '<url>')
    .replace(/\b(Bearer|AWS4-HMAC-SHA256)\s+\S+/gi, '$1 <redacted>')
    .replace(/X-Amz-[A-Za-z-]+=[^&\s]+/gi, '<redacted>')
    .slice(0, 500);

export function createRequestLogger(sink: LogSink = stdoutSink) {
  return (entry: RequestLog): void => {
    const level = entry.status >= 500 ? 'error' : entry.status >= 400 ? 'warn' : 'info';
    const error = entry.error ? { name: entry.error.name, message: redact(entry.error.message) } : undefined;
    sink(JSON.stringify({ level, message: 'request', ...entry, error }));
  };
}

export type RequestLogger = ReturnType<typeof createRequestLogger>;
