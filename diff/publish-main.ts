/**
 * `npm run diff:publish -- --markdown <file> [--artifact-url <url>] [--summary] [--comment]`: the review written
 * by `npm run diff -- --markdown <file>` into the job summary ($GITHUB_STEP_SUMMARY) and/or the pull request's one
 * review comment (GITHUB_TOKEN with pull-requests: write, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { COMMENT_LIMIT, fitMarkdown, PublishError, SUMMARY_LIMIT, upsertComment } from './publish';

function fail(message: string): number {
  process.stderr.write(`diff:publish: ${message}\n`);
  return 2;
}

async function main(): Promise<number> {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: { markdown: { type: 'string' }, 'artifact-url': { type: 'string' }, summary: { type: 'boolean' }, comment: { type: 'boolean' } },
  });
  if (!v.markdown) return fail('--markdown <file> is required (written by npm run diff -- --markdown <file>)');
  if (!v.summary && !v.comment) return fail('nothing to do: pass --summary (job summary) and/or --comment (pull-request comment)');
  let markdown: string;
  try {
    markdown = readFileSync(v.markdown, 'utf8');
  } catch (e) {
    return fail(`cannot read --markdown ${v.markdown}: ${(e as Error).message}`);
  }
  const artifactUrl = v['artifact-url'] || undefined;
  const env = process.env;
  if (v.summary) {
    if (!env.GITHUB_STEP_SUMMARY) return fail('--summary needs GITHUB_STEP_SUMMARY (set by GitHub Actions)');
    appendFileSync(env.GITHUB_STEP_SUMMARY, fitMarkdown(markdown, SUMMARY_LIMIT, artifactUrl));
    process.stdout.write(`diff:publish: job summary written (${markdown.length} characters)\n`);
  }
  if (v.comment) {
    const missing = ['GITHUB_TOKEN', 'GITHUB_REPOSITORY', 'GITHUB_EVENT_PATH'].filter((name) => !env[name]);
    if (missing.length) return fail(`--comment needs ${missing.join(', ')} (GitHub Actions, a pull_request event)`);
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH!, 'utf8')) as { pull_request?: { number?: number } };
    const pullRequest = event.pull_request?.number;
    if (!pullRequest) return fail(`--comment runs on pull_request events; ${env.GITHUB_EVENT_PATH} has no pull_request.number`);
    try {
      const result = await upsertComment(
        { apiUrl: env.GITHUB_API_URL || 'https://api.github.com', repository: env.GITHUB_REPOSITORY!, pullRequest, token: env.GITHUB_TOKEN! },
        fitMarkdown(markdown, COMMENT_LIMIT, artifactUrl),
      );
      process.stdout.write(`diff:publish: review comment ${result.action} on #${pullRequest} (comment ${result.id})\n`);
    } catch (e) {
      // A pull request from a fork gets a read-only token: the job summary and the artifact still carry the review.
      if (e instanceof PublishError && e.status === 403) {
        process.stdout.write(
          `::warning::cannot comment on #${pullRequest} (403: read-only token, e.g. a pull request from a fork); the review is in the job summary and the artifact\n`,
        );
        return 0;
      }
      process.stderr.write(`diff:publish: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return 0;
}

main().then((code) => {
  process.exitCode = code;
});
