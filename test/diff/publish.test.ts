/**
 * The review comment against a local HTTP server that answers like the GitHub REST API (issue comments): one
 * comment per pull request, updated in place; and the truncation of long reviews.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMMENT_LIMIT, fitMarkdown, upsertComment, type GitHubTarget } from '../../diff/publish';
import { COMMENT_MARKER } from '../../diff/report';

interface Comment {
  id: number;
  body: string;
  user: { login: string };
}

let server: Server;
let comments: Comment[];
let requests: string[];
let target: GitHubTarget;

beforeEach(async () => {
  comments = [];
  requests = [];
  let nextId = 100;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const reply = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
      if (req.headers.authorization !== 'Bearer test-token') return void reply(401, { message: 'Bad credentials' });
      const list = /^\/repos\/acme\/platform\/issues\/7\/comments\?per_page=100&page=(\d+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && list) return void reply(200, comments.slice((Number(list[1]) - 1) * 100, Number(list[1]) * 100));
      if (req.method === 'POST' && req.url === '/repos/acme/platform/issues/7/comments') {
        const c = { id: nextId++, body: JSON.parse(body).body, user: { login: 'github-actions[bot]' } };
        comments.push(c);
        return void reply(201, c);
      }
      const one = /^\/repos\/acme\/platform\/issues\/comments\/(\d+)$/.exec(req.url ?? '');
      const existing = one && comments.find((c) => c.id === Number(one[1]));
      if (req.method === 'PATCH' && existing) {
        if (existing.user.login !== 'github-actions[bot]') return void reply(403, { message: 'Resource not accessible by integration' });
        existing.body = JSON.parse(body).body;
        return void reply(200, existing);
      }
      return void reply(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = { apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, repository: 'acme/platform', pullRequest: 7, token: 'test-token' };
});
afterEach(() => new Promise((resolve) => server.close(resolve)));

const review = (n: number) => `${COMMENT_MARKER}\n## Infrastructure and manifest review\n\nrun ${n}\n`;

describe('the pull-request review comment', () => {
  it('is created once, then updated in place on every later run (one comment per pull request)', async () => {
    comments.push({ id: 1, body: 'LGTM', user: { login: 'alice' } });
    expect(await upsertComment(target, review(1))).toEqual({ action: 'created', id: 100 });
    expect(await upsertComment(target, review(2))).toEqual({ action: 'updated', id: 100 });
    expect(await upsertComment(target, review(3))).toEqual({ action: 'updated', id: 100 });
    expect(comments).toEqual([
      { id: 1, body: 'LGTM', user: { login: 'alice' } },
      { id: 100, body: review(3), user: { login: 'github-actions[bot]' } },
    ]);
    expect(requests.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });

  it('ignores a comment by someone else that starts with the marker (never edits a human comment)', async () => {
    comments.push({ id: 5, body: `${COMMENT_MARKER} quoted`, user: { login: 'mallory' } });
    expect(await upsertComment(target, review(1))).toEqual({ action: 'created', id: 100 });
    expect(comments.find((c) => c.id === 5)?.body).toBe(`${COMMENT_MARKER} quoted`);
  });

  it('finds its comment past the first page of 100', async () => {
    for (let i = 0; i < 150; i++) comments.push({ id: 1000 + i, body: `comment ${i}`, user: { login: 'alice' } });
    const first = await upsertComment(target, review(1));
    expect(await upsertComment(target, review(2))).toEqual({ action: 'updated', id: first.id });
    expect(requests).toContain('GET /repos/acme/platform/issues/7/comments?per_page=100&page=2');
  });

  it('fails with the status when GitHub refuses (e.g. a bad token), and refuses a body without the marker', async () => {
    await expect(upsertComment({ ...target, token: 'wrong' }, review(1))).rejects.toThrow(/401 .*Bad credentials/);
    await expect(upsertComment(target, '## no marker')).rejects.toThrow(/must start with <!-- platform-review-diff -->/);
  });
});

describe('long reviews', () => {
  const stack = (i: number) => `<details open><summary><b>stack-${i}</b></summary>\n\n\`\`\`\n${'[~] AWS::IAM::Policy line\n'.repeat(400)}\`\`\`\n\n</details>\n`;
  const long = `${COMMENT_MARKER}\n## review\n\n${Array.from({ length: 20 }, (_, i) => stack(i)).join('\n')}`;

  it('are cut below the limit, well-formed (code blocks and details closed), with a link to the artifact', () => {
    expect(long.length).toBeGreaterThan(COMMENT_LIMIT);
    const fitted = fitMarkdown(long, COMMENT_LIMIT, 'https://github.com/acme/platform/actions/runs/1/artifacts/2');
    expect(fitted.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(fitted.startsWith(`${COMMENT_MARKER}\n## review`)).toBe(true);
    expect(fitted).toContain(`Truncated: the review is ${long.length} characters`);
    expect(fitted).toContain('(https://github.com/acme/platform/actions/runs/1/artifacts/2)');
    const body = fitted.slice(0, fitted.indexOf('> ✂️'));
    expect((body.match(/^```$/gm) ?? []).length % 2).toBe(0);
    expect((body.match(/<details/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
  });

  it('are left as they are when they fit', () => {
    expect(fitMarkdown(review(1), COMMENT_LIMIT, undefined)).toBe(review(1));
  });
});
