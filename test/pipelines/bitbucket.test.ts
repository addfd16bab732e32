/**
 * bitbucket-pipelines.yml structure: its schema (check-jsonschema, `npm run lint:pipelines`) lets a misspelled key
 * through in places (a key Bitbucket ignores is a silent change of behaviour), so every key is checked against what
 * Bitbucket documents, and the delivery steps against the trusts in infra.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { platformConfig } from '../../config';

type Dict = Record<string, any>;
const root = resolve(__dirname, '../..');
const text = readFileSync(join(root, 'bitbucket-pipelines.yml'), 'utf8');
const doc = load(text) as Dict;

const STEP_KEYS = [
  'name',
  'script',
  'caches',
  'artifacts',
  'deployment',
  'trigger',
  'oidc',
  'runs-on',
  'size',
  'concurrency-group',
  'max-time',
  'image',
  'services',
  'after-script',
  'clone',
  'fail-fast',
  'condition',
];
const STAGE_KEYS = ['name', 'deployment', 'trigger', 'steps', 'condition'];
/** The steps as they run: a stage's steps with its deployment environment (and, on the first, its trigger). */
const stepsOf = (pipeline: Dict[]): Dict[] =>
  pipeline.flatMap((item) =>
    item.step
      ? [item.step]
      : item.parallel
        ? stepsOf(item.parallel.steps ?? item.parallel)
        : item.stage
          ? (item.stage.steps as Dict[]).map((s, i) => ({
              deployment: item.stage.deployment,
              ...(i === 0 && item.stage.trigger ? { trigger: item.stage.trigger } : {}),
              ...s.step,
            }))
          : [],
  );
/** The steps as written (a stage's without the stage's keys), for the key check. */
const writtenStepsOf = (pipeline: Dict[]): Dict[] =>
  pipeline.flatMap((item) => (item.step ? [item.step] : item.parallel ? writtenStepsOf(item.parallel.steps ?? item.parallel) : item.stage ? writtenStepsOf(item.stage.steps) : []));
const allPipelines = (): [string, Dict[]][] => [
  ...Object.entries(doc.pipelines.branches as Record<string, Dict[]>).map(([b, p]): [string, Dict[]] => [`branch ${b}`, p]),
  ...Object.entries(doc.pipelines.tags as Record<string, Dict[]>).map(([t, p]): [string, Dict[]] => [`tag ${t}`, p]),
  ...Object.entries(doc.pipelines['pull-requests'] as Record<string, Dict[]>).map(([g, p]): [string, Dict[]] => [`pull request ${g}`, p]),
];

describe('bitbucket-pipelines.yml structure', () => {
  test('top level and pipeline kinds are the known ones; no "default" pipeline (it would run on every branch)', () => {
    expect(Object.keys(doc).sort()).toEqual(['definitions', 'image', 'options', 'pipelines']);
    expect(Object.keys(doc.pipelines).sort()).toEqual(['branches', 'pull-requests', 'tags']);
    expect(Object.keys(doc.definitions).sort()).toEqual(['caches', 'steps']);
  });

  test('every step uses only keys Bitbucket knows', () => {
    for (const [where, pipeline] of allPipelines()) {
      for (const item of pipeline) expect([where, Object.keys(item)]).toEqual([where, [expect.stringMatching(/^(step|parallel|stage)$/)]]);
      for (const stage of pipeline.filter((item) => item.stage).map((item) => item.stage as Dict)) {
        for (const key of Object.keys(stage)) expect([where, stage.name, key, STAGE_KEYS.includes(key)]).toEqual([where, stage.name, key, true]);
      }
      for (const step of writtenStepsOf(pipeline)) {
        for (const key of Object.keys(step)) expect([where, step.name, key, STEP_KEYS.includes(key)]).toEqual([where, step.name, key, true]);
        expect([where, step.name, Array.isArray(step.script) && step.script.length > 0]).toEqual([where, step.name, true]);
      }
    }
  });

  test('every cache a step names is defined (or Bitbucket\'s own "node")', () => {
    const defined = ['node', ...Object.keys(doc.definitions.caches)];
    for (const [, pipeline] of allPipelines()) for (const step of stepsOf(pipeline)) for (const cache of step.caches ?? []) expect(defined).toContain(cache);
  });

  test('only deploying refs push images; the push runs in deployment "images" with OIDC, after the scans, before the deploy', () => {
    for (const [where, pipeline] of allPipelines()) {
      const steps = stepsOf(pipeline);
      const push = steps.findIndex((s) => s.deployment === 'images');
      const deploy = steps.findIndex((s) => s.deployment && s.deployment !== 'images');
      if (where.startsWith('pull request') || where === 'branch main') {
        expect([where, push, deploy]).toEqual([where, -1, -1]);
        continue;
      }
      expect(push).toBeGreaterThan(steps.findIndex((s) => /scan image/.test(s.name)));
      expect(push).toBeGreaterThan(steps.findIndex((s) => /scan IaC/.test(s.name)));
      expect(deploy).toBeGreaterThan(push);
      expect(steps[push].oidc).toBe(true);
    }
  });

  test('deployment steps: OIDC, UUIDs configured for their trust; the deploy command on a self-hosted runner labelled with their environment, the stacks on a Bitbucket Cloud runner', () => {
    const uuids = platformConfig.delivery!.bitbucket!.deploymentEnvironmentUuids;
    for (const [where, pipeline] of allPipelines()) {
      for (const step of stepsOf(pipeline).filter((s) => s.deployment)) {
        expect([where, step.deployment, step.oidc]).toEqual([where, step.deployment, true]);
        expect(uuids[step.deployment]).toMatch(/^\{[0-9a-f-]{36}\}$/);
        if (step.deployment === 'images') continue;
        const script = (step.script as string[]).join('\n');
        if (script.includes('npm run deploy:built -- ')) expect([step.name, step['runs-on']]).toEqual([step.name, ['self.hosted', 'linux', `platform-${step.deployment}`]]);
        else expect([step.name, script.includes('npm run deploy:stacks -- '), step['runs-on']]).toEqual([step.name, true, undefined]);
      }
    }
  });

  test('the first prod step is manual (its stage), the others automatic', () => {
    for (const [, pipeline] of allPipelines()) {
      const seen = new Set<string>();
      for (const step of stepsOf(pipeline).filter((s) => s.deployment && s.deployment !== 'images' && !seen.has(s.deployment) && seen.add(s.deployment))) {
        const env = platformConfig.environments.find((e) => e.name === step.deployment)!;
        expect([step.deployment, step.trigger ?? 'automatic']).toEqual([step.deployment, env.production ? 'manual' : 'automatic']);
      }
    }
  });
});
