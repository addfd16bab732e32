/**
 * Which images a delivery builds: the change detection every pipeline runs (`npm run images:plan`, scripts/images.ts).
 *
 * An image is built when a file that enters its build changed between the base and the head commit: a file under its
 * build context that its Docker ignore file lets in (`<dockerfile>.dockerignore`, else `<context>/.dockerignore`, as
 * BuildKit reads them), its Dockerfile, or that ignore file. A change to shared platform code (SHARED_PATHS) builds
 * every image, and so does a run without a usable base (a release, a new branch, a base missing from the clone).
 * Nothing changed for any image: nothing is built and nothing released.
 */
import { execFileSync } from 'node:child_process';
import { posix } from 'node:path';
import type { ImageConfig } from '../config/workloads';

/**
 * Shared platform code: a change under any of these releases every image. The configuration (workloads, images,
 * environments), the charts and the deploy command that render and release every workload, the stacks whose outputs
 * the manifests read, the dependencies of every build, the project commands and the pipelines that build and deploy.
 * A folder ends in "/"; anything else is one file.
 */
export const SHARED_PATHS: readonly string[] = [
  'config/',
  'charts/',
  'deploy/',
  'infra/',
  'scripts/',
  'package.json',
  'package-lock.json',
  'cdk.json',
  'cdk8s.yaml',
  '.github/workflows/',
  '.github/scripts/',
  '.gitlab-ci.yml',
  '.gitlab/',
  'Jenkinsfile',
  'bitbucket-pipelines.yml',
];

/** An image this run builds, with what the pipelines need to build, scan and push it. */
export interface PlannedImage {
  readonly name: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly repositoryName: string;
  /** The image archive the build writes and the scans and the push read. */
  readonly archive: string;
  /** Why it is built: the files of its own that changed (at most 20), or the reason every image is. */
  readonly because: readonly string[];
}

export interface ImagePlan {
  /** The commit compared with (resolved), if any. */
  readonly base?: string;
  readonly head: string;
  /** Why this set: "no base", "shared", "changes" (per image), or "none". */
  readonly reason: string;
  /** Every declared image, in config order. */
  readonly declared: readonly string[];
  /** The images to build, in config order. */
  readonly images: readonly PlannedImage[];
}

/** The changes a plan is made from: every file changed, or a reason to build everything. */
export type Changes = { readonly kind: 'files'; readonly base: string; readonly files: readonly string[] } | { readonly kind: 'all'; readonly reason: string };

/** Where a planned image's archive goes. */
export const archiveOf = (name: string) => `image-${name}.tar`;

/** The ignore file BuildKit uses for an image (the Dockerfile's own first), as candidates in that order. */
export const ignoreFileCandidates = (image: Pick<ImageConfig, 'context' | 'dockerfile'>): string[] => [
  `${image.dockerfile}.dockerignore`,
  posix.join(image.context, '.dockerignore'),
];

/**
 * A Docker ignore file as a predicate "this path (relative to the context) stays out of the build": patterns in
 * order, the last one matching the path or one of its parent folders decides, `!` lets a path back in; `*` and `?`
 * stay within one path segment, `**` spans any number of them (moby/patternmatcher's rules).
 */
export function dockerIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = posix.normalize((include ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { include, regex: patternRegex(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.include;
    return excluded;
  };
}

function patternRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) out += escape(pattern[++i]);
    else out += escape(c);
  }
  return new RegExp(`^${out}$`);
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const isShared = (file: string) => SHARED_PATHS.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));

/** The files of `files` that enter an image's build (its Dockerfile and ignore file count). */
export function inputsOf(image: ImageConfig, files: readonly string[], ignoreText: string | undefined): string[] {
  const ignored = ignoreText === undefined ? () => false : dockerIgnore(ignoreText);
  const context = posix.normalize(image.context).replace(/\/+$/, '');
  const own = new Set([image.dockerfile, ...ignoreFileCandidates(image)]);
  return files.filter((file) => {
    if (own.has(file)) return true;
    if (context !== '.' && !file.startsWith(`${context}/`)) return false;
    return !ignored(context === '.' ? file : file.slice(context.length + 1));
  });
}

/** The plan for the declared images from the changes; `ignoreFile(path)` reads a file at the head commit. */
export function planImages(images: readonly ImageConfig[], changes: Changes, head: string, ignoreFile: (path: string) => string | undefined): ImagePlan {
  const declared = images.map((i) => i.name);
  const planned = (image: ImageConfig, because: readonly string[]): PlannedImage => ({
    name: image.name,
    context: image.context,
    dockerfile: image.dockerfile,
    repositoryName: image.repositoryName,
    archive: archiveOf(image.name),
    because,
  });
  if (changes.kind === 'all') return { head, reason: changes.reason, declared, images: images.map((i) => planned(i, [changes.reason])) };
  const shared = changes.files.filter(isShared);
  if (shared.length > 0) {
    const because = [`shared platform code changed: ${shared.slice(0, 20).join(', ')}`];
    return { base: changes.base, head, reason: 'shared', declared, images: images.map((i) => planned(i, because)) };
  }
  const built = images.flatMap((image) => {
    const ignoreText = ignoreFileCandidates(image)
      .map(ignoreFile)
      .find((t) => t !== undefined);
    const inputs = inputsOf(image, changes.files, ignoreText);
    return inputs.length > 0 ? [planned(image, inputs.slice(0, 20))] : [];
  });
  return { base: changes.base, head, reason: built.length > 0 ? 'changes' : 'none', declared, images: built };
}

const git = (cwd: string, args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const gitOrUndefined = (cwd: string, args: string[]): string | undefined => {
  try {
    return git(cwd, args);
  } catch {
    return undefined;
  }
};

/** An all-zero SHA: what CI systems pass as the "previous commit" of a new branch or a tag. */
const NO_COMMIT = /^0+$/;

/**
 * The files changed between the base and the head, as `git diff` from their merge base (a force-pushed branch: the
 * changes since the histories split); every image without a base, or with a base this clone does not have.
 */
export function changesSince(cwd: string, base: string | undefined, head: string): Changes {
  if (base === undefined || base.trim() === '' || NO_COMMIT.test(base.trim()))
    return { kind: 'all', reason: 'no base commit to compare with (a release, a new branch or a first build): every image' };
  const baseSha = gitOrUndefined(cwd, ['rev-parse', '--verify', '--quiet', `${base.trim()}^{commit}`])?.trim();
  if (!baseSha) return { kind: 'all', reason: `base ${JSON.stringify(base)} is not in this clone (fetch the history, e.g. a full clone): every image` };
  const mergeBase = gitOrUndefined(cwd, ['merge-base', baseSha, head])?.trim();
  if (!mergeBase) return { kind: 'all', reason: `base ${baseSha} shares no history with ${head}: every image` };
  const files = git(cwd, ['diff', '--name-only', '--no-renames', '-z', mergeBase, head])
    .split('\0')
    .filter((f) => f !== '');
  return { kind: 'files', base: baseSha, files };
}

/** The plan of a repository checkout: head resolved, ignore files read at the head commit. */
export function planRepository(cwd: string, images: readonly ImageConfig[], base: string | undefined, headRef = 'HEAD'): ImagePlan {
  const head = git(cwd, ['rev-parse', '--verify', `${headRef}^{commit}`]).trim();
  return planImages(images, changesSince(cwd, base, head), head, (path) => gitOrUndefined(cwd, ['show', `${head}:${path}`]));
}
