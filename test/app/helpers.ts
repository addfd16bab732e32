import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function readReply(res: IncomingMessage, resolve: (reply: Reply) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (body += chunk));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
}

/** One HTTP request on a new connection to 127.0.0.1. */
export function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => readReply(res, resolve));
    req.on('error', reject);
    req.end();
  });
}

/** One request with a body (JSON unless a string is given) on a new connection to 127.0.0.1. */
export function send(port: number, path: string, method: string, body: unknown): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => readReply(res, resolve),
    );
    req.on('error', reject);
    req.end(text);
  });
}

export interface SlowUpload {
  /** Resolves once the server has accepted the request (it answered `100 Continue`): the request is in flight. */
  accepted: Promise<void>;
  /** Sends the rest of the body and ends the request. */
  finish(): void;
  reply: Promise<Reply>;
}

/**
 * A POST /api/echo whose body the test releases when it wants: the request is in flight on the server from
 * `accepted` until `finish()`.
 */
export function slowUpload(port: number, first: string, rest: string): SlowUpload {
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  const req = request({
    host: '127.0.0.1',
    port,
    path: '/api/echo',
    method: 'POST',
    agent: false,
    headers: { expect: '100-continue', 'content-type': 'text/plain', 'content-length': Buffer.byteLength(first + rest) },
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => readReply(res, resolve));
    req.on('error', reject);
  });
  req.on('continue', () => {
    req.write(first);
    accept();
  });
  req.flushHeaders();
  return { accepted, finish: () => req.end(rest), reply };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
