/**
 * The review from two synthesized sides on disk (cloud assembly + manifests), as `npm run diff` builds it: each
 * kind of change lands in its stack's or target's section, security-relevant ones are called out.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { COMMENT_MARKER, NO_DIFFERENCES, toMarkdown, toText, type Review } from '../../diff/report';
import { reviewSides } from '../../diff/review';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

const committedGeneric = () => loadAll(readFileSync(resolve(__dirname, '../../manifests/generic/web.k8s.yaml'), 'utf8')).filter(Boolean) as Record<string, any>[];

const roleTemplate = (actions: string[]): Template => ({
  Resources: {
    AppRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
        },
      },
    },
    AppPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'app',
        Roles: [{ Ref: 'AppRole' }],
        PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::platform-dev-data/*' }] },
      },
    },
  },
});

let root: string;
/** Writes one side: `cdk.out` (manifest.json, templates, logical-ID metadata) and `manifests/<target>/web.k8s.yaml`. */
function side(name: string, stacks: Record<string, Template>, targets: Record<string, object[]>) {
  const dir = join(root, name);
  mkdirSync(join(dir, 'cdk.out'), { recursive: true });
  const artifacts: Record<string, object> = {};
  for (const [stack, template] of Object.entries(stacks)) {
    writeFileSync(join(dir, 'cdk.out', `${stack}.template.json`), JSON.stringify(template));
    const metadata = Object.fromEntries(Object.keys(template.Resources).map((id) => [`/${stack}/${id}/Resource`, [{ type: 'aws:cdk:logicalId', data: id }]]));
    artifacts[stack] = { type: 'aws:cloudformation:stack', properties: { templateFile: `${stack}.template.json` }, metadata, displayName: stack };
  }
  writeFileSync(join(dir, 'cdk.out', 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
  for (const [target, objects] of Object.entries(targets)) {
    mkdirSync(join(dir, 'manifests', target), { recursive: true });
    writeFileSync(join(dir, 'manifests', target, 'web.k8s.yaml'), objects.map((o) => `---\n${dump(o)}`).join(''));
  }
  return { label: name, dir };
}

/** The lines of the text review from the header `title` to the next section header. */
function section(text: string, title: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  expect(start).toBeGreaterThan(-1);
  const end = lines.findIndex((l, i) => i > start && /^(Stack|Manifests) /.test(l));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'review-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('npm run diff: the review of two synthesized sides', () => {
  it('no change: "no differences", in text and in Markdown', () => {
    const stacks = { 'platform-dev': roleTemplate(['s3:GetObject']), 'platform-github': roleTemplate([]) };
    const review = reviewSides(side('base', stacks, { generic: committedGeneric() }), side('head', stacks, { generic: committedGeneric() }));
    expect(toText(review)).toContain(`${NO_DIFFERENCES}: CloudFormation: ${NO_DIFFERENCES} (2 stacks); manifests: ${NO_DIFFERENCES} (1 targets)`);
    expect(toText(review)).not.toMatch(/^Stack |^Manifests /m);
    expect(toMarkdown(review)).toContain(`**${NO_DIFFERENCES}**`);
    expect(toMarkdown(review).startsWith(COMMENT_MARKER)).toBe(true);
  });

  it('an IAM policy change appears in its stack as the CDK CLI prints it, and is called out', () => {
    const review = reviewSides(
      side('base', { 'platform-dev': roleTemplate(['s3:GetObject']), 'platform-staging': roleTemplate(['s3:GetObject']) }, {}),
      side('head', { 'platform-dev': roleTemplate(['s3:GetObject', 's3:DeleteObject']), 'platform-staging': roleTemplate(['s3:GetObject']) }, {}),
    );
    const text = toText(review);
    const dev = section(text, 'Stack platform-dev');
    expect(dev).toContain('IAM Statement Changes');
    expect(dev).toMatch(/[-+]\s.*s3:DeleteObject/);
    expect(dev).toMatch(/\[~\] AWS::IAM::Policy AppPolicy/);
    expect(text).not.toContain('Stack platform-staging');
    expect(text).toMatch(/! IAM changes: platform-dev \(permissions broadened\)\n/);
    expect(review.stacks.map((s) => [s.stack, s.kind, s.iamChanges])).toEqual([
      ['platform-dev', 'changed', true],
      ['platform-staging', 'unchanged', false],
    ]);
    expect(toMarkdown(review)).toMatch(/<summary><b>platform-dev<\/b>[\s\S]*s3:DeleteObject[\s\S]*<\/details>/);
  });

  it('an added resource appears in its stack with [+]; a security-group rule is called out', () => {
    const base = roleTemplate(['s3:GetObject']);
    const head: Template = {
      Resources: {
        ...base.Resources,
        Cache: { Type: 'AWS::ElastiCache::ServerlessCache', Properties: { Engine: 'valkey', ServerlessCacheName: 'web' } },
        DbIngress: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: 'sg-1', IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '0.0.0.0/0' } },
      },
    };
    const review = reviewSides(side('base', { 'platform-dev': base, 'platform-prod': base }, {}), side('head', { 'platform-dev': base, 'platform-prod': head }, {}));
    const prod = section(toText(review), 'Stack platform-prod');
    expect(prod).toMatch(/\[\+\] AWS::ElastiCache::ServerlessCache Cache/);
    expect(prod).toContain('Security Group Changes');
    expect(toText(review)).toMatch(/! Security group changes: platform-prod\n/);
    expect(toText(review)).not.toContain('Stack platform-dev');
  });

  it('a removed resource is called out as deleted; an added and a removed stack are marked', () => {
    const base = { Resources: { ...roleTemplate(['s3:GetObject']).Resources, Data: { Type: 'AWS::S3::Bucket' } } };
    const review = reviewSides(
      side('base', { 'platform-dev': base, 'platform-old': base }, {}),
      side('head', { 'platform-dev': roleTemplate(['s3:GetObject']), 'platform-new': base }, {}),
    );
    const text = toText(review);
    expect(text).toContain('! platform-dev: /platform-dev/Data/Resource (AWS::S3::Bucket): deleted');
    expect(section(text, 'Stack platform-dev')).toMatch(/\[-\] AWS::S3::Bucket Data/);
    expect(text).toContain('Stack platform-new (added)');
    expect(text).toContain('Stack platform-old (removed)');
  });

  it('a removed manifest object and a changed image appear under their target, and are called out', () => {
    const base = committedGeneric();
    const head = committedGeneric()
      .filter((o) => o.kind !== 'PodDisruptionBudget')
      .map((o) => {
        if (o.kind === 'Deployment') o.spec.template.spec.containers[0].image = 'registry.example/web:1.5.0';
        return o;
      });
    const review = reviewSides(side('base', {}, { generic: base, dev: base }), side('head', {}, { generic: head, dev: base }));
    const text = toText(review);
    const generic = section(text, 'Manifests generic');
    expect(generic).toContain('  - PodDisruptionBudget web (namespace web) (removed)');
    expect(generic).toContain('  ~ Deployment web (namespace web)');
    expect(generic).toContain('      ~ spec.template.spec.containers[web].image: "<placeholder:image-app>" → "registry.example/web:1.5.0"');
    expect(text).not.toContain('Manifests dev');
    expect(text).toContain('! image in generic, Deployment web, container web: <placeholder:image-app> → registry.example/web:1.5.0');
    expect(text).toContain('! generic: PodDisruptionBudget web (namespace web) is removed');
    const md = toMarkdown(review);
    expect(md).toMatch(/<summary><b>generic<\/b><\/summary>\n\n```diff\n[\s\S]*- PodDisruptionBudget web[\s\S]*```/);
  });

  it('lists of named items are matched by name: reordering env is no change, a new variable is one added field', () => {
    const base = committedGeneric();
    const reordered = committedGeneric().map((o) => {
      if (o.kind === 'Deployment') o.spec.template.spec.containers[0].env.reverse();
      return o;
    });
    expect(reviewSides(side('base', {}, { generic: base }), side('head', {}, { generic: reordered })).targets[0].kind).toBe('unchanged');
    const added = committedGeneric().map((o) => {
      if (o.kind === 'Deployment') o.spec.template.spec.containers[0].env.push({ name: 'LOG_LEVEL', value: 'debug' });
      return o;
    });
    const review: Review = reviewSides(side('base2', {}, { generic: base }), side('head2', {}, { generic: added }));
    expect(review.targets[0].objects).toEqual([
      {
        ref: 'Deployment web (namespace web)',
        kind: 'changed',
        fields: [{ path: 'spec.template.spec.containers[web].env[LOG_LEVEL]', after: { name: 'LOG_LEVEL', value: 'debug' } }],
      },
    ]);
  });

  it('an added object is listed with +, a new target is marked', () => {
    const base = committedGeneric();
    const head = [...committedGeneric(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', namespace: 'web' }, data: { a: 'b' } }];
    const text = toText(reviewSides(side('base', {}, { generic: base }), side('head', {}, { generic: head, onprem: base })));
    expect(section(text, 'Manifests generic')).toContain('  + ConfigMap extra (namespace web) (added)');
    expect(section(text, 'Manifests onprem')).toContain('(new target)');
  });
});
