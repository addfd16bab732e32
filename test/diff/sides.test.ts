/**
 * The sides of a review from git refs, for real: a throwaway repository whose `npm run synth` writes a tiny cloud
 * assembly and manifests from files in the commit. Each ref is synthesized in its own temporary worktree (with
 * node_modules linked), the worktree is removed afterwards, and bad refs are refused clearly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toText } from '../../diff/report';
import { reviewSides } from '../../diff/review';
import { DiffInputError, outputSuffix, refSide, resolveRef, workingTreeSide } from '../../diff/sides';

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { env, encoding: 'utf8' }).trim();

// The fixture's synth: copies src/template.json into cdk.out and src/objects.yaml into manifests/generic; with
// `--config <name>` into cdk.out.<name> and manifests.<name> instead, as scripts/synth.ts does.
const SYNTH = [
  "const fs = require('fs');",
  "const i = process.argv.indexOf('--config'); const sfx = i > 0 ? '.' + process.argv[i + 1] : '';",
  "fs.mkdirSync('cdk.out' + sfx, { recursive: true }); fs.mkdirSync('manifests' + sfx + '/generic', { recursive: true });",
  "fs.copyFileSync('src/template.json', 'cdk.out' + sfx + '/app.template.json');",
  "fs.writeFileSync('cdk.out' + sfx + '/manifest.json', JSON.stringify({ artifacts: { app: { type: 'aws:cloudformation:stack', properties: { templateFile: 'app.template.json' } } } }));",
  "fs.copyFileSync('src/objects.yaml', 'manifests' + sfx + '/generic/web.k8s.yaml');",
].join('\n');

// Each side runs `npm run synth` (a node process): seconds, more on a loaded machine.
jest.setTimeout(120_000);

let repo: string;
function commit(bucket: boolean, objects: string, message: string): void {
  writeFileSync(join(repo, 'src/template.json'), JSON.stringify({ Resources: bucket ? { Data: { Type: 'AWS::S3::Bucket' } } : {} }));
  writeFileSync(join(repo, 'src/objects.yaml'), objects);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', message);
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'diff-sides-'));
  git(repo, 'init', '-q');
  mkdirSync(join(repo, 'src'));
  mkdirSync(join(repo, 'node_modules'));
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\ncdk.out*/\nmanifests*/\n');
  writeFileSync(join(repo, 'synth.js'), SYNTH);
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'fixture', version: '1.0.0', scripts: { synth: 'node synth.js' } }));
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify({ name: 'fixture', lockfileVersion: 3, packages: {} }));
  const pdb = 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: web}\nspec: {maxUnavailable: 1}\n';
  const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: web}\nspec: {ports: [{port: 80}]}\n';
  commit(false, `${svc}---\n${pdb}`, 'base');
  commit(true, svc, 'head: a bucket, no PDB');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('sides of the review from git refs', () => {
  it('synthesizes each ref in its own worktree with node_modules linked, then removes it', async () => {
    const base = await refSide(repo, 'HEAD~1', env);
    const head = await refSide(repo, 'HEAD', env);
    try {
      expect(base.label).toMatch(/^HEAD~1 \([0-9a-f]{7}\)$/);
      expect(lstatSync(join(base.dir, 'node_modules')).isSymbolicLink()).toBe(true);
      expect(git(repo, 'worktree', 'list')).toContain(base.dir);
      const text = toText(reviewSides(base, head));
      expect(text).toMatch(/Stack app\n[\s\S]*\[\+\] AWS::S3::Bucket Data/);
      expect(text).toContain('  - PodDisruptionBudget web (namespace web) (removed)');
    } finally {
      base.dispose();
      head.dispose();
    }
    expect(existsSync(base.dir)).toBe(false);
    git(repo, 'worktree', 'prune');
    expect(git(repo, 'worktree', 'list')).not.toContain(base.dir);
  });

  it('the working tree is synthesized in place, uncommitted changes included; no change -> no differences', async () => {
    writeFileSync(join(repo, 'src/objects.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: web}\nspec: {ports: [{port: 8080}]}\n');
    const base = await refSide(repo, 'HEAD', env);
    try {
      const head = await workingTreeSide(repo, env);
      expect(head.label).toMatch(/^working tree \([0-9a-f]{7} \+ uncommitted changes\)$/);
      expect(toText(reviewSides(base, head))).toContain('~ spec.ports[0].port: 80 → 8080');
      git(repo, 'checkout', '--', 'src/objects.yaml');
      expect(toText(reviewSides(base, await workingTreeSide(repo, env)))).toMatch(/^no differences: /m);
    } finally {
      base.dispose();
    }
  });

  it('--config: both sides synthesize that configuration (npm run synth -- --config <name>) and the review reads its folders', async () => {
    const base = await refSide(repo, 'HEAD~1', env, { config: 'multi-account' });
    const head = await refSide(repo, 'HEAD', env, { config: 'multi-account' });
    try {
      expect([base.suffix, head.suffix]).toEqual(['.multi-account', '.multi-account']);
      expect(existsSync(join(base.dir, 'cdk.out.multi-account', 'manifest.json'))).toBe(true);
      expect(existsSync(join(base.dir, 'cdk.out'))).toBe(false);
      expect(toText(reviewSides(base, head))).toMatch(/Stack app\n[\s\S]*\[\+\] AWS::S3::Bucket Data/);
    } finally {
      base.dispose();
      head.dispose();
    }
    // The default configuration keeps the plain folders.
    expect(outputSuffix({})).toBe('');
    expect(outputSuffix({ config: 'default' })).toBe('');
  });

  it('fails for a ref that names no commit, or looks like an option', async () => {
    await expect(resolveRef(repo, 'origin/nope', env)).rejects.toThrow(
      new DiffInputError(`"origin/nope" is not a commit in ${repo} (git rev-parse found nothing; in CI fetch it first, e.g. fetch-depth: 2)`),
    );
    await expect(resolveRef(repo, '--all', env)).rejects.toThrow(/expected a git ref/);
  });
});
