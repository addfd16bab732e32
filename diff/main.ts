/**
 * `npm run diff -- --base <git ref> [--head <git ref>] [--markdown <file>]`: what a change does to every stack's
 * CloudFormation and every target's manifests, offline (no AWS account). See docs/review-diff.md.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toMarkdown, toText } from './report';
import { reviewSides } from './review';
import { DiffInputError, refSide, workingTreeSide, type Side } from './sides';

export const USAGE = `Usage: npm run diff -- --base <git ref> [--head <git ref>] [--markdown <file>] [--config <name>]

  --base <ref>       the state to compare against (e.g. origin/main, HEAD~1, a release tag)
  --head <ref>       the new state (default: the working tree, uncommitted changes included)
  --markdown <file>  also write the review as Markdown (pull-request comment, job summary)
  --config <name>    the configuration both sides synthesize (config/configurations.ts; default "default")

Both sides are synthesized offline like "npm run synth"; a ref in a temporary git worktree.
Exit codes: 0 done (with or without differences) | 2 invalid input | 1 a synth failed`;

function options(argv: string[]): { base: string; head?: string; markdown?: string; config?: string } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { base: { type: 'string' }, head: { type: 'string' }, markdown: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new DiffInputError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.base) throw new DiffInputError(`--base is required\n\n${USAGE}`);
  if (v.markdown !== undefined && v.markdown.trim() === '') throw new DiffInputError('--markdown is empty; expected a file name, e.g. --markdown diff.md');
  // Checked by each side's synth against that side's own config/configurations.ts (a name may be new on head).
  if (v.config !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(v.config))
    throw new DiffInputError(`--config is ${JSON.stringify(v.config)}; expected a configuration name, e.g. default or multi-account`);
  return { base: v.base, head: v.head, markdown: v.markdown, config: v.config };
}

async function main(): Promise<number> {
  const root = process.cwd();
  const sides: Side[] = [];
  try {
    const o = options(process.argv.slice(2));
    if (o === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const started = Date.now();
    // Both synths at once (each is one single-threaded node process); every side that was made is disposed.
    const selection = { config: o.config };
    const settled = await Promise.allSettled([
      refSide(root, o.base, process.env, selection),
      o.head ? refSide(root, o.head, process.env, selection) : workingTreeSide(root, process.env, selection),
    ]);
    for (const s of settled) if (s.status === 'fulfilled') sides.push(s.value);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    const [base, head] = sides;
    const review = reviewSides(base, head);
    process.stdout.write(toText(review));
    if (o.markdown) writeFileSync(o.markdown, toMarkdown(review));
    process.stderr.write(
      `diff: ${review.stacks.length} stacks, ${review.targets.length} targets in ${((Date.now() - started) / 1000).toFixed(1)} s${o.markdown ? `; Markdown: ${o.markdown}` : ''}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`diff: ${(e as Error).message}\n`);
    return e instanceof DiffInputError ? 2 : 1;
  } finally {
    for (const side of sides) side.dispose();
  }
}

main().then((code) => {
  process.exitCode = code;
});
