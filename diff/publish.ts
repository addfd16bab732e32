/**
 * Publishing the review on GitHub: one pull-request comment, found by its hidden marker and updated in place on
 * every push (never a new comment per run), and the job summary. Both have size limits; a longer review is cut at
 * a line boundary (closing any open code block and <details>) with a link to the full artifact.
 */
import { COMMENT_MARKER } from './report';

/** GitHub rejects comment bodies over 65,536 characters; keep room for the truncation note. */
export const COMMENT_LIMIT = 65_000;
/** The job summary of a step may hold 1 MiB. */
export const SUMMARY_LIMIT = 1_000_000;

/** The Markdown, or its first lines up to `limit` characters, still well-formed, ending with where the rest is. */
export function fitMarkdown(markdown: string, limit: number, artifactUrl: string | undefined): string {
  if (markdown.length <= limit) return markdown;
  const where = artifactUrl ? `[the full review (artifact)](${artifactUrl})` : "the full review in the workflow run's artifacts";
  const note = `\n\n> ✂️ Truncated: the review is ${markdown.length} characters, more than fits here; see ${where}.\n`;
  const kept: string[] = [];
  let size = 0;
  let fence: string | undefined;
  let details = 0;
  const closing = () => `${fence ? `\n${fence}` : ''}${'\n\n</details>'.repeat(details)}`;
  for (const line of markdown.split('\n')) {
    let nextFence = fence;
    let nextDetails = details;
    const ticks = /^(`{3,})/.exec(line)?.[1];
    if (ticks && (!fence || ticks === fence)) nextFence = fence ? undefined : ticks;
    if (!fence) nextDetails += (line.match(/<details/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
    const closeAfter = `${nextFence ? `\n${nextFence}` : ''}${'\n\n</details>'.repeat(Math.max(0, nextDetails))}`;
    if (size + line.length + 1 + closeAfter.length + note.length > limit) break;
    kept.push(line);
    size += line.length + 1;
    fence = nextFence;
    details = Math.max(0, nextDetails);
  }
  return `${kept.join('\n')}${closing()}${note}`;
}

export interface GitHubTarget {
  /** e.g. https://api.github.com (GITHUB_API_URL). */
  readonly apiUrl: string;
  /** owner/name (GITHUB_REPOSITORY). */
  readonly repository: string;
  readonly pullRequest: number;
  readonly token: string;
  /**
   * Login of the account the token posts as; only its comments are updated.
   * @default "github-actions[bot]"
   */
  readonly author?: string;
}

interface IssueComment {
  readonly id: number;
  readonly body?: string;
  readonly user?: { readonly login?: string };
}

export class PublishError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function call<T>(target: GitHubTarget, method: string, path: string, body?: object): Promise<T> {
  const response = await fetch(`${target.apiUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${target.token}`,
      'x-github-api-version': '2022-11-28',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new PublishError(`GitHub ${method} ${path}: ${response.status} ${(await response.text()).slice(0, 300)}`, response.status);
  return (await response.json()) as T;
}

/** Creates the review comment, or updates the one this workflow posted before. Returns what happened and the comment id. */
export async function upsertComment(target: GitHubTarget, body: string): Promise<{ action: 'created' | 'updated'; id: number }> {
  if (!body.startsWith(COMMENT_MARKER)) throw new Error(`the comment body must start with ${COMMENT_MARKER} (how the next run finds it)`);
  const author = target.author ?? 'github-actions[bot]';
  const base = `/repos/${target.repository}/issues`;
  let existing: IssueComment | undefined;
  for (let page = 1; page <= 50 && !existing; page++) {
    const comments = await call<IssueComment[]>(target, 'GET', `${base}/${target.pullRequest}/comments?per_page=100&page=${page}`);
    existing = comments.find((c) => c.user?.login === author && c.body?.startsWith(COMMENT_MARKER));
    if (comments.length < 100) break;
  }
  if (existing) {
    await call(target, 'PATCH', `${base}/comments/${existing.id}`, { body });
    return { action: 'updated', id: existing.id };
  }
  const created = await call<IssueComment>(target, 'POST', `${base}/${target.pullRequest}/comments`, { body });
  return { action: 'created', id: created.id };
}
