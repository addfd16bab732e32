/**
 * The documentation holds together: every relative link of every Markdown file in the repository resolves (file and,
 * on a Markdown target, heading), and the README stays a front door.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { brokenLinks, githubSlug, headingAnchors, linkProblem, relativeLinks, type MarkdownTree } from './markdown-links';

const root = join(__dirname, '..', '..');
/** Installed, built or synthesized output: not the project's own documentation. */
const SKIPPED = (name: string) => name === 'node_modules' || name === 'dist' || name === '.git' || name.startsWith('cdk.out');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED(entry.name) ? [] : markdownFiles(join(dir, entry.name));
    return entry.name.endsWith('.md') ? [relative(root, join(dir, entry.name)).split(sep).join('/')] : [];
  });
}

const repository: MarkdownTree = {
  exists: (path) => existsSync(join(root, path)),
  read: (path) => readFileSync(join(root, path), 'utf8'),
};

/** An in-memory repository of Markdown files (folders exist when a file is in them). */
function memoryTree(files: Record<string, string>): MarkdownTree {
  const paths = Object.keys(files);
  return {
    exists: (path) => path in files || paths.some((p) => p.startsWith(`${path}/`)),
    read: (path) => files[path],
  };
}

describe('Markdown links of the repository', () => {
  const files = markdownFiles(root);

  it('finds the documentation (README, docs/, the folders’ READMEs), not installed packages', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'deploy/README.md', 'docs/operations.md', 'docs/first-deployment.md']));
    expect(files.filter((f) => f.includes('node_modules/'))).toEqual([]);
  });

  it('every relative link resolves to an existing file, and every #anchor to a heading there', () => {
    expect(brokenLinks(repository, files)).toEqual([]);
  });

  it('the README links to each docs/ file', () => {
    const linked = new Set(relativeLinks(repository.read('README.md')).map((l) => l.target.split('#')[0]));
    const docs = files.filter((f) => f.startsWith('docs/'));
    expect(docs.filter((f) => !linked.has(f))).toEqual([]);
  });
});

describe('pointers into the documentation from code, pipelines and tests', () => {
  /** `docs/x.md`, `README.md`, `deploy/README.md`, each with an optional `#anchor`, written from the repository's root. */
  const POINTER = /(?<![\w./-])((?:docs\/[\w.-]+|(?:[\w-]+\/)*README)\.md)(#[\w-]+)?/g;
  const CODE = /\.(ts|mjs|js|sh|ya?ml)$|^(Jenkinsfile|run)$/;

  function codeFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = relative(root, join(dir, entry.name)).split(sep).join('/');
      if (entry.isDirectory()) return SKIPPED(entry.name) || /^(manifests|cluster\/build|test\/docs)/.test(path) ? [] : codeFiles(join(dir, entry.name));
      return CODE.test(entry.name) ? [path] : [];
    });
  }

  it('every docs/….md and README.md pointer (the alarms’ runbook, pipeline comments, …) names a file and heading that exist', () => {
    const pointers = codeFiles(root).flatMap((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .flatMap((text, index) => [...text.matchAll(POINTER)].map((m) => ({ file, line: index + 1, target: m[0] }))),
    );
    expect(pointers.map((p) => p.target)).toEqual(expect.arrayContaining(['docs/operations.md#alarms-and-the-first-thing-to-check', 'deploy/README.md#exit-codes']));
    // Written from the repository's root: resolved as a link of a file there.
    const broken = pointers.flatMap((p) => {
      const reason = linkProblem(repository, 'README.md', p.target);
      return reason ? [{ ...p, reason }] : [];
    });
    expect(broken).toEqual([]);
  });
});

describe('README.md is a front door', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('is at most 300 lines', () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(300);
  });

  it('keeps the two commands exactly (CI runs the test command)', () => {
    expect(readme).toMatch(/^npm ci && npm run synth /m);
    expect(readme).toMatch(/^npm ci && npm test /m);
  });
});

describe('the link checker', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Plain `kubectl apply`, GitOps and Helm')).toBe('plain-kubectl-apply-gitops-and-helm');
    expect(githubSlug('Delivery (GitHub Actions, GitLab CI/CD, Bitbucket Pipelines, Jenkins)')).toBe('delivery-github-actions-gitlab-cicd-bitbucket-pipelines-jenkins');
    expect(githubSlug("Tools: installed per job by the project's scripts")).toBe('tools-installed-per-job-by-the-projects-scripts');
    expect(githubSlug('Exit codes → [deploy](deploy/README.md)')).toBe('exit-codes--deploy');
    expect(githubSlug('snake_case and Ünïcode')).toBe('snake_case-and-ünïcode');
  });

  it('numbers repeated headings and ignores "#" lines inside code blocks', () => {
    expect(headingAnchors('# A\n## Setup\n```bash\n# not a heading\n```\n### Setup\n')).toEqual(new Set(['a', 'setup', 'setup-1']));
  });

  it('reads inline, image and reference links, skipping URLs, code spans and code blocks', () => {
    const md = [
      'See [ops](docs/operations.md#alarms) and ![diagram](img/a.png "title") and [site](https://example.com).',
      'Not a link: `[x](nowhere.md)`.',
      '```',
      '[y](also-nowhere.md)',
      '```',
      '[ref]: <docs/costs.md>',
      '[mail](mailto:a@example.com) [same file](#top)',
    ].join('\n');
    expect(relativeLinks(md)).toEqual([
      { line: 1, target: 'docs/operations.md#alarms' },
      { line: 1, target: 'img/a.png' },
      { line: 6, target: 'docs/costs.md' },
      { line: 7, target: '#top' },
    ]);
  });

  it('reports a missing file, a missing heading, a missing same-file anchor and a path outside the repository', () => {
    const tree = memoryTree({
      'README.md': '# Top\n[ok](docs/ops.md#alarms-and-runbooks) [folder](docs) [gone](docs/gone.md)\n[bad anchor](docs/ops.md#alarms)\n',
      'docs/ops.md': '# Operating it\n## Alarms and runbooks\n[back](../README.md#top) [self](#nowhere) [out](../../etc/passwd)\n',
    });
    expect(brokenLinks(tree, ['README.md', 'docs/ops.md'])).toEqual([
      { file: 'README.md', line: 2, target: 'docs/gone.md', reason: 'docs/gone.md does not exist' },
      {
        file: 'README.md',
        line: 3,
        target: 'docs/ops.md#alarms',
        reason: 'docs/ops.md has no heading with anchor #alarms (its anchors: #operating-it, #alarms-and-runbooks)',
      },
      { file: 'docs/ops.md', line: 3, target: '#nowhere', reason: 'docs/ops.md has no heading with anchor #nowhere (its anchors: #operating-it, #alarms-and-runbooks)' },
      { file: 'docs/ops.md', line: 3, target: '../../etc/passwd', reason: 'it points outside the repository (../etc/passwd)' },
    ]);
  });

  it('accepts a link that resolves, and an anchor on a file that is not Markdown', () => {
    const tree = memoryTree({ 'a.md': '[b](sub/b.md#b) [code](sub/x.ts#L10) [root](/a.md)', 'sub/b.md': '## B', 'sub/x.ts': '' });
    expect(brokenLinks(tree, ['a.md'])).toEqual([]);
  });
});
