/**
 * The two sides of a review, synthesized offline exactly as `npm run synth` does: a git ref in a temporary
 * `git worktree` (node_modules linked from this checkout when the lockfiles match, else installed from the ref's
 * own lockfile so a dependency bump shows up), or the working tree itself (uncommitted changes included).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class DiffInputError extends Error {}

export interface Side {
  /** For the report, e.g. `origin/main (1a2b3c4)`. */
  readonly label: string;
  /** Folder holding the synthesized `cdk.out<suffix>/` and `manifests<suffix>/`. */
  readonly dir: string;
  /** `.<configuration>` for another configuration than the default, '' for the default (scripts/synth.ts). */
  readonly suffix: string;
  readonly notes: readonly string[];
  /** Removes the temporary worktree (no-op for the working tree). */
  readonly dispose: () => void;
}

interface Run {
  readonly code: number;
  readonly output: string;
}

export function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function git(root: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run('git', ['-C', root, ...args], root, env);
  if (r.code !== 0) throw new DiffInputError(`git ${args.join(' ')} failed: ${r.output.trim()}`);
  return r.output.trim();
}

/** The commit a ref names; a clear error for anything else. */
export async function resolveRef(root: string, ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (ref.trim() === '' || ref.startsWith('-'))
    throw new DiffInputError(`--base/--head is ${JSON.stringify(ref)}; expected a git ref (branch, tag, commit, e.g. origin/main or HEAD~1)`);
  const r = await run('git', ['-C', root, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root, env);
  if (r.code !== 0) throw new DiffInputError(`${JSON.stringify(ref)} is not a commit in ${root} (git rev-parse found nothing; in CI fetch it first, e.g. fetch-depth: 2)`);
  return r.output.trim();
}

/** Which configuration both sides synthesize (config/configurations.ts; `npm run synth -- --config <name>`). */
export interface SynthSelection {
  /** @default "default" */
  readonly config?: string;
}

/** `.<name>` for another configuration than the default: where scripts/synth.ts writes it. */
export function outputSuffix(selection: SynthSelection): string {
  return selection.config === undefined || selection.config === 'default' ? '' : `.${selection.config}`;
}

/** `npm run synth` in `dir`; fine when it wrote the assembly and the manifests (cdk-nag findings exit 1 but still write them). */
async function synth(dir: string, label: string, env: NodeJS.ProcessEnv, selection: SynthSelection): Promise<string[]> {
  const assembly = join(dir, `cdk.out${outputSuffix(selection)}`);
  rmSync(assembly, { recursive: true, force: true });
  const r = await run('npm', ['run', '--silent', 'synth', ...(outputSuffix(selection) ? ['--', '--config', selection.config!] : [])], dir, env);
  if (!existsSync(join(assembly, 'manifest.json'))) {
    throw new Error(`synth of ${label} failed (exit ${r.code}) and wrote no cloud assembly:\n${r.output.trim().split('\n').slice(-15).join('\n')}`);
  }
  return r.code === 0 ? [] : [`synth of ${label} exited ${r.code} (unacknowledged cdk-nag findings?); the diff uses the templates it wrote`];
}

/** A ref checked out into a temporary worktree and synthesized there. */
export async function refSide(root: string, ref: string, env: NodeJS.ProcessEnv, selection: SynthSelection = {}): Promise<Side> {
  const sha = await resolveRef(root, ref, env);
  const label = `${ref} (${sha.slice(0, 7)})`;
  const dir = mkdtempSync(join(tmpdir(), 'platform-diff-'));
  const dispose = () => {
    rmSync(dir, { recursive: true, force: true });
    void run('git', ['-C', root, 'worktree', 'prune'], root, env);
  };
  try {
    await git(root, ['worktree', 'add', '--detach', '--quiet', dir, sha], env);
    const notes: string[] = [];
    const lock = (d: string) => (existsSync(join(d, 'package-lock.json')) ? readFileSync(join(d, 'package-lock.json'), 'utf8') : '');
    if (lock(dir) === lock(root) && existsSync(join(root, 'node_modules'))) {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    } else {
      const install = await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], dir, env);
      if (install.code !== 0) throw new Error(`npm ci for ${label} failed:\n${install.output.trim().split('\n').slice(-10).join('\n')}`);
      notes.push(`${label} has another package-lock.json: its own dependencies were installed for its synth`);
    }
    notes.push(...(await synth(dir, label, env, selection)));
    return { label, dir, suffix: outputSuffix(selection), notes, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** The working tree, synthesized in place (writes cdk.out/ and manifests/ like `npm run synth`). */
export async function workingTreeSide(root: string, env: NodeJS.ProcessEnv, selection: SynthSelection = {}): Promise<Side> {
  const sha = await git(root, ['rev-parse', '--short=7', 'HEAD'], env).catch(() => 'no commit');
  const dirty = (await git(root, ['status', '--porcelain', '--untracked-files=no'], env).catch(() => '')) !== '';
  const label = `working tree (${sha}${dirty ? ' + uncommitted changes' : ''})`;
  const notes = await synth(root, label, env, selection);
  return { label, dir: root, suffix: outputSuffix(selection), notes, dispose: () => undefined };
}
