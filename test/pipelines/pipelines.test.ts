/**
 * The four pipelines (GitHub Actions, GitLab CI/CD, Bitbucket Pipelines, Jenkins) read side by side: each one must
 * state the same delivery facts, taken from config/platform.ts and .ci/run rather than from one CI system's file:
 * which branch or tag deploys which environment, the prod gate, one deploy at a time per environment, the deploy on
 * a runner inside the environment's VPC, every deploy through the deploy command by digest, no static credentials,
 * thin steps, and the same check commands as .ci/run.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { type EnvironmentConfig, platformConfig } from '../../config';
import { names } from '../../infra/names';
import { planDeployStacks } from '../../scripts/deploy-stacks';
import { archiveOf, type ImagePlan } from '../../scripts/image-plan';
import { deployBuiltArgs, githubMatrix, imageCommands, readDigests, selectImages } from '../../scripts/images';
import { ciRunChecks as readCiRunChecks } from '../support/ci-run';

type Dict = Record<string, any>;
const root = resolve(__dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const yaml = (file: string) => load(read(file)) as Dict;
const packageScripts = Object.keys(JSON.parse(read('package.json')).scripts as Dict);
const releaseTags = platformConfig.delivery!.releaseTagPattern;
/** The registry account a pipeline's variables name (AWS_ACCOUNT_ID, the GitHub Environment's), for the reading. */
const ACCOUNT = '123456789012';

/**
 * The arguments of an `npm run <script> -- …` command line as the shell splits them (the pipelines quote whole words
 * only), its account variables filled in and the configuration variable as its default ("default").
 */
function argvOf(command: string): string[] {
  return command
    .replace(/\$\{\{ vars\.IMAGE_REGISTRY_ACCOUNT \|\| steps\.aws\.outputs\.aws-account-id \}\}|\$AWS_ACCOUNT_ID/g, ACCOUNT)
    .split(' ')
    .slice(4)
    .map((arg) => arg.replace(/^"|"$/g, ''))
    .map((arg) => (/^\$(\{PLATFORM_CONFIG:-default\}|PLATFORM_CONFIG)$/.test(arg) ? 'default' : arg));
}

/** What a pipeline says about delivering one environment. */
interface Deploy {
  /** Branch, or "tag:<glob>" / "release" (GitHub: a published release). */
  readonly trigger: string;
  /** Started only after a person's approval or by hand (its first job). */
  readonly gated: boolean;
  /** The lock that keeps one deploy at a time for this environment (resource group, concurrency group, lock). */
  readonly serializedBy: string | undefined;
  /** Where the deploy command runs (runner label / tag / agent label). */
  readonly runsOn: string;
  /** The commands of the environment's jobs in order (stacks, then deploy), with its variables filled in. */
  readonly commands: string[];
}

/** One job (step, stage) of a delivery, in the job graph. */
interface Job {
  /** Unique in the pipeline. */
  readonly id: string;
  /** The environment it delivers. */
  readonly env: string;
  readonly trigger: string;
  readonly gated: boolean;
  readonly serializedBy: string | undefined;
  /** Runner label(s) / tags / agent label. */
  readonly runsOn: string;
  /** What kind of runner that is: hosted (the CI system's), inside the environment's VPC, or the GitHub CodeBuild runner. */
  readonly runner: 'hosted' | 'vpc' | 'codebuild';
  /** Ids of every job that has finished before this one starts (transitively). */
  readonly after: string[];
  readonly commands: string[];
}

interface Pipeline {
  readonly file: string;
  readonly text: string;
  /** The delivery jobs of every environment (stacks and deploy), with their predecessors. */
  readonly jobs: Job[];
  readonly deploys: Record<string, Deploy>;
  readonly checks: string[];
  /** Every command line of every job/step. */
  readonly commands: string[];
}

/** An environment's deploy as one unit: its jobs in graph order. */
function deploysOf(jobs: Job[]): Record<string, Deploy> {
  const deploys: Record<string, Deploy> = {};
  for (const env of platformConfig.environments) {
    const own = jobs.filter((j) => j.env === env.name).sort((a, b) => (b.after.includes(a.id) ? -1 : a.after.includes(b.id) ? 1 : 0));
    const workload = own.find((j) => j.commands.some((c) => c.startsWith('npm run deploy:built -- ')));
    if (!workload) continue;
    deploys[env.name] = {
      trigger: own[0].trigger,
      gated: own[0].gated,
      serializedBy: workload.serializedBy,
      runsOn: workload.runsOn,
      commands: own.flatMap((j) => j.commands),
    };
  }
  return deploys;
}

/** Every node reachable from `id` through `direct` (its transitive predecessors), without `id` itself. */
const closure = (id: string, direct: (id: string) => string[]): string[] => {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const d of direct(n)) {
      if (seen.has(d)) continue;
      seen.add(d);
      visit(d);
    }
  };
  visit(id);
  return [...seen];
};

// --- GitHub Actions ---------------------------------------------------------------------------------------------
function github(): Pipeline {
  const dir = '.github/workflows';
  const files = readdirSync(join(root, dir)).filter((f) => /\.ya?ml$/.test(f));
  const workflows = Object.fromEntries(files.map((f) => [f, yaml(`${dir}/${f}`)]));
  const runsOf = (job: Dict) =>
    ((job.steps ?? []) as Dict[])
      .filter((s) => s.run)
      .map((s) =>
        String(s.run)
          .trim()
          .replace(/^exec /, ''),
      );
  const jobs: Job[] = [];
  for (const env of platformConfig.environments) {
    const caller = workflows[`deploy-${env.name}.yml`];
    const on = caller.on as Dict;
    const trigger = on.push ? on.push.branches.join(',') : on.release?.types?.includes('published') ? 'release' : '?';
    const inputs = caller.jobs.deploy.with as Dict;
    const fill = (text: string) => text.replaceAll('${{ inputs.environment }}', inputs.environment);
    /** Every job that runs for a caller job: itself or the jobs of the reusable workflow it calls. */
    const inner = (name: string): [string, Dict][] => {
      const job = caller.jobs[name] as Dict;
      const uses = String(job.uses ?? '');
      return uses.startsWith('./') ? Object.entries(workflows[uses.replace('./.github/workflows/', '')].jobs as Dict) : [[name, job]];
    };
    const id = (callerJob: string, job: string) => `deploy-${env.name}.yml#${callerJob}/${job}`;
    const callerNeeds = (name: string) => [caller.jobs[name].needs ?? []].flat() as string[];
    for (const callerJob of Object.keys(caller.jobs)) {
      for (const [name, job] of inner(callerJob)) {
        const before = closure(callerJob, callerNeeds).flatMap((c) => inner(c).map(([n]) => id(c, n)));
        const innerNeeds = (n: string) => [(inner(callerJob).find(([m]) => m === n)?.[1] as Dict).needs ?? []].flat() as string[];
        const within = closure(name, innerNeeds).map((n) => id(callerJob, n));
        const runsOn = fill(String(job['runs-on'] ?? ''));
        jobs.push({
          id: id(callerJob, name),
          env: job.environment?.name === '${{ inputs.environment }}' ? inputs.environment : (job.environment?.name ?? job.environment ?? ''),
          trigger,
          // GitHub Environment protection (required reviewers) gates a job that runs in that Environment.
          gated: job.environment?.name === '${{ inputs.environment }}' && /required reviewers/i.test(read(`${dir}/deploy-${env.name}.yml`)),
          serializedBy: job.concurrency?.['cancel-in-progress'] === false ? fill(job.concurrency.group) : undefined,
          runsOn,
          runner: runsOn.startsWith('codebuild-') ? 'codebuild' : 'hosted',
          after: [...before, ...within],
          // Each step's env filled in (with the caller's inputs), as the runner would.
          commands: ((job.steps ?? []) as Dict[])
            .filter((step) => step.run)
            .map((step) =>
              Object.entries((step.env ?? {}) as Dict).reduce(
                (command, [name, value]) =>
                  command.replaceAll(
                    `"$${name}"`,
                    name === 'ENVIRONMENT' ? inputs.environment : `"${String(value).replace(/\$\{\{ inputs\.([a-z-]+) \}\}/g, (_m, k) => inputs[k] ?? _m)}"`,
                  ),
                // `exec` (the deploy step) only hands the runner's signal to the command: not part of the command.
                String(step.run)
                  .trim()
                  .replace(/^exec /, ''),
              ),
            ),
        });
      }
    }
  }
  const checks = Object.values(workflows['ci.yml'].jobs as Dict).flatMap(runsOf);
  const commands = Object.values(workflows).flatMap((wf) => Object.values(wf.jobs as Dict).flatMap(runsOf));
  const delivery = jobs.filter((j) => platformConfig.environments.some((e) => e.name === j.env));
  return { file: dir, text: files.map((f) => read(`${dir}/${f}`)).join('\n'), jobs: delivery, deploys: deploysOf(delivery), checks, commands };
}

// --- GitLab CI/CD -----------------------------------------------------------------------------------------------
function gitlab(): Pipeline {
  const doc = { ...yaml('.gitlab-ci.yml') };
  const all = Object.entries(doc).filter(([name, job]) => typeof job === 'object' && !['workflow', 'stages', 'include', 'default', 'variables'].includes(name)) as [string, Dict][];
  const byName = Object.fromEntries(all);
  /** A job with its `extends` merged in (one level of keys, as GitLab does for these). */
  const resolved = (job: Dict): Dict => {
    const parents = [job.extends ?? []].flat().map((p: string) => resolved(byName[p]));
    return Object.assign({}, ...parents, job, { variables: Object.assign({}, ...parents.map((p) => p.variables ?? {}), job.variables ?? {}) });
  };
  const lines = (job: Dict) => [...(job.before_script ?? []), ...(job.script ?? [])].map(String);
  // Jobs of the included templates (GitLab's scanners) deploy nothing: their own needs do not matter here.
  const needsOf = (name: string) => (byName[name] ? ((resolved(byName[name]).needs ?? []) as (string | Dict)[]) : []).map((n) => (typeof n === 'string' ? n : String(n.job)));
  const jobs: Job[] = [];
  for (const [name, raw] of all.filter(([n]) => !n.startsWith('.'))) {
    const job = resolved(raw);
    const env = job.environment?.name as string | undefined;
    if (!env) continue;
    const rule = (job.rules ?? [])[0] as Dict;
    const branch = /^\$CI_COMMIT_BRANCH == "([^"]+)"$/.exec(rule.if)?.[1];
    const tag = /^\$CI_COMMIT_TAG =~ \/\^([^/]+)\/$/.exec(rule.if)?.[1];
    const fill = (text: string) => Object.entries(job.variables as Dict).reduce((t, [k, v]) => t.replaceAll(`"$${k}"`, String(v)).replaceAll(`$${k}`, String(v)), text);
    const tags = (job.tags ?? []) as string[];
    jobs.push({
      id: name,
      env,
      trigger: branch ?? (tag ? `tag:${tag}*` : '?'),
      gated: rule.when === 'manual' && rule.allow_failure === false,
      serializedBy: job.resource_group,
      runsOn: tags.join(','),
      // Without tags: any runner of the instance (GitLab.com's hosted runners); with platform-<env>: the one in its VPC.
      runner: tags.length === 0 ? 'hosted' : 'vpc',
      after: closure(name, needsOf),
      commands: lines(job).map(fill),
    });
  }
  const checks = all.filter(([name, job]) => !name.startsWith('.') && resolved(job).stage === 'check').flatMap(([, job]) => lines(resolved(job)));
  const commands = all.filter(([name]) => !name.startsWith('.')).flatMap(([, job]) => lines(resolved(job)));
  return { file: '.gitlab-ci.yml', text: read('.gitlab-ci.yml') + read('.gitlab/ci/security.gitlab-ci.yml'), jobs, deploys: deploysOf(jobs), checks, commands };
}

// --- Bitbucket Pipelines ----------------------------------------------------------------------------------------
/** The steps of a pipeline in order, each with the deployment and trigger of its stage, and the group it runs in parallel with. */
function bitbucketSteps(pipeline: Dict[]): { step: Dict; item: number }[] {
  return pipeline.flatMap((entry, item) => {
    if (entry.step) return [{ step: entry.step as Dict, item }];
    if (entry.parallel) return ((entry.parallel.steps ?? entry.parallel) as Dict[]).map((p) => ({ step: p.step as Dict, item }));
    if (entry.stage) {
      // Steps of a stage run one after the other, in the stage's deployment environment; a manual stage waits before its first step.
      return (entry.stage.steps as Dict[]).map((p, i) => ({
        step: { deployment: entry.stage.deployment, ...(i === 0 && entry.stage.trigger ? { trigger: entry.stage.trigger } : {}), ...p.step },
        item: item + i / 100,
      }));
    }
    return [];
  });
}

function bitbucket(): Pipeline {
  const doc = yaml('bitbucket-pipelines.yml');
  const jobs: Job[] = [];
  const sections: [string, Dict[]][] = [
    ...Object.entries(doc.pipelines.branches as Record<string, Dict[]>),
    ...Object.entries(doc.pipelines.tags as Record<string, Dict[]>).map(([glob, p]): [string, Dict[]] => [`tag:${glob}`, p]),
  ];
  for (const [trigger, pipeline] of sections) {
    const steps = bitbucketSteps(pipeline).map(({ step, item }, i) => ({ step, item, id: `${trigger}#${i}:${step.name}` }));
    for (const { step, item, id } of steps.filter((s) => s.step.deployment && s.step.deployment !== 'images')) {
      const runsOn = [step['runs-on'] ?? []].flat() as string[];
      jobs.push({
        id,
        env: step.deployment,
        trigger,
        gated: step.trigger === 'manual',
        serializedBy: step['concurrency-group'],
        runsOn: runsOn.join(','),
        runner: runsOn.includes('self.hosted') ? 'vpc' : 'hosted',
        after: steps.filter((s) => s.item < item).map((s) => s.id),
        commands: step.script.map(String),
      });
    }
  }
  const stepsOf = (p: Dict[]) => bitbucketSteps(p).map((s) => s.step);
  const checks = stepsOf(doc.pipelines['pull-requests']['**']).flatMap((s) => s.script.map(String));
  const all = [
    ...Object.values(doc.pipelines.branches as Record<string, Dict[]>),
    ...Object.values(doc.pipelines.tags as Record<string, Dict[]>),
    doc.pipelines['pull-requests']['**'],
  ];
  const commands = all.flatMap((p) => stepsOf(p).flatMap((s) => s.script.map(String)));
  return { file: 'bitbucket-pipelines.yml', text: read('bitbucket-pipelines.yml'), jobs, deploys: deploysOf(jobs), checks, commands };
}

// --- Jenkins (declarative) --------------------------------------------------------------------------------------
/** The `{ … }` block that starts at the first "{" after `from` (brace matching; the Jenkinsfile's strings hold no braces but ${…}). */
function block(text: string, from: number): string {
  const start = text.indexOf('{', from);
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    if (text[i] === '{' && text[i - 1] !== '$') depth += 1;
    else if (text[i] === '}' && !/\$\{[^}]*$/.test(text.slice(start, i))) {
      depth -= 1;
      if (depth === 0) return text.slice(start + 1, i);
    }
  }
  throw new Error(`unbalanced block at ${from}`);
}

function jenkins(): Pipeline {
  const text = read('Jenkinsfile');
  const code = text.replace(/^\s*\/\/.*$/gm, '');
  const stage = (name: string) => block(code, code.indexOf(`stage('${name}')`));
  const shLines = (body: string) => [...body.matchAll(/^\s*sh '([^']*)'$/gm)].map((m) => m[1]);
  // Top-level stages run one after the other, in file order.
  const topLevel = [...block(code, code.indexOf('stages')).matchAll(/^ {8}stage\('([^']+)'\)/gm)].map((m) => m[1]);
  const jobs: Job[] = [];
  for (const [index, name] of topLevel.entries()) {
    const env = platformConfig.environments.find((e) => name === `deploy ${e.name}` || name === `stacks ${e.name}`);
    if (!env) continue;
    const body = stage(name);
    const when = block(body, body.indexOf('when'));
    const branch = /branch '([^']+)'/.exec(when)?.[1];
    const tag = /tag pattern: '([^']+)', comparator: 'GLOB'/.exec(when)?.[1];
    const vars = Object.fromEntries([...block(body, body.indexOf('environment')).matchAll(/(\w+) = '([^']*)'/g)].map((m) => [m[1], m[2]]));
    const fill = (line: string) => Object.entries(vars).reduce((t, [k, v]) => t.replaceAll(`"$${k}"`, v).replaceAll(`$${k}`, v), line);
    const label = /agent \{ label '([^']+)' \}/.exec(body)?.[1] ?? '?';
    jobs.push({
      id: name,
      env: env.name,
      trigger: branch ?? (tag ? `tag:${tag}` : '?'),
      gated: /input\s*\{[^}]*submitter '[^']+'/.test(body),
      serializedBy: /options \{ lock\('([^']+)'\) \}/.exec(body)?.[1],
      runsOn: label,
      // platform-<env>: the agent inside the environment's VPC; any other label is an agent outside it.
      runner: label === `platform-${env.name}` ? 'vpc' : 'hosted',
      after: topLevel.slice(0, index),
      commands: shLines(body).map(fill),
    });
  }
  return { file: 'Jenkinsfile', text, jobs, deploys: deploysOf(jobs), checks: shLines(stage('check')), commands: shLines(code) };
}

const pipelines: [string, Pipeline][] = [
  ['GitHub Actions', github()],
  ['GitLab CI/CD', gitlab()],
  ['Bitbucket Pipelines', bitbucket()],
  ['Jenkins', jenkins()],
];

/** The check commands of .ci/run (what CI runs on a clean clone), without the install. */
const ciRunChecks = readCiRunChecks();

const expectedTrigger = (system: string, env: EnvironmentConfig) =>
  env.deployFrom.kind === 'branch' ? env.deployFrom.branch : system === 'GitHub Actions' ? 'release' : `tag:${releaseTags}`;

describe('.ci/run', () => {
  test('names the checks every pipeline must run', () => {
    expect(ciRunChecks).toEqual(
      expect.arrayContaining([
        'npm run typecheck',
        'npm test',
        'npm run synth',
        'npm run lint:cfn',
        'npm run check:manifests',
        'npm run lint:actions',
        'npm run lint:pipelines',
        'npm run test:e2e',
      ]),
    );
  });
});

describe.each(pipelines)('%s', (system, pipeline) => {
  test.each(platformConfig.environments.map((env) => [env.name, env] as const))('%s deploys from what config/platform.ts says', (name, env) => {
    expect(pipeline.deploys[name]).toBeDefined();
    expect(pipeline.deploys[name].trigger).toBe(expectedTrigger(system, env));
  });

  test('deploys no environment that config/platform.ts does not have', () => {
    expect(Object.keys(pipeline.deploys).sort()).toEqual(platformConfig.environments.map((e) => e.name).sort());
  });

  test('production deploys wait for a person (approval, manual start or input gate)', () => {
    for (const env of platformConfig.environments.filter((e) => e.production)) expect([env.name, pipeline.deploys[env.name].gated]).toEqual([env.name, true]);
  });

  test('one deploy at a time per environment: a lock of its own per environment', () => {
    const locks = platformConfig.environments.map((env) => pipeline.deploys[env.name].serializedBy);
    for (const [i, env] of platformConfig.environments.entries()) expect([env.name, locks[i]]).toEqual([env.name, expect.stringContaining(env.name)]);
    expect(new Set(locks).size).toBe(locks.length);
  });

  test("each deploy runs inside its environment's VPC (runner, tag or agent label of that environment)", () => {
    for (const env of platformConfig.environments) {
      const runsOn = pipeline.deploys[env.name].runsOn;
      expect([env.name, runsOn]).toEqual([env.name, expect.stringMatching(new RegExp(`(^|[-,])platform-${env.name}([-,]|$)`))]);
      expect(runsOn).not.toMatch(/ubuntu|windows|macos/);
    }
  });

  test("every deploy goes through the deploy command, for its own environment, with every image this run pushed by digest (name=ref, the environment's registry), after its stacks' deploy, both for the configured configuration", () => {
    // The configured configuration: a CI variable PLATFORM_CONFIG ("default" when unset).
    const config = String.raw`--config "\$(PLATFORM_CONFIG|\{PLATFORM_CONFIG:-default\})"`;
    for (const env of platformConfig.environments) {
      const commands = pipeline.deploys[env.name].commands;
      expect(commands.filter((c) => c.startsWith('npx cdk'))).toEqual([]);
      const cdk = commands.findIndex((c) => new RegExp(`^npm run deploy:stacks -- ${config} --env "?${env.name}"?( --without-runner)? --outputs-file cdk-outputs\\.json$`).test(c));
      const deploy = commands.findIndex((c) =>
        new RegExp(
          `^npm run deploy:built -- ${config} --env ${env.name} --registry "[^"]+\\.dkr\\.ecr\\.${env.region}\\.amazonaws\\.com" --digests digests --outputs cdk-outputs\\.json$`,
        ).test(c),
      );
      expect([env.name, cdk >= 0, deploy > cdk]).toEqual([env.name, true, true]);
      expect(commands.filter((c) => /kubectl|helm /.test(c))).toEqual([]);
      // What the deploy command receives when this run pushed every declared image: each one, by digest, as name=ref.
      const digests = new Map(platformConfig.images.map((image, i) => [image.name, `sha256:${String(i).repeat(64)}`]));
      const args = deployBuiltArgs(platformConfig, 'default', argvOf(commands[deploy]).slice(2), digests)!;
      const registry = `${ACCOUNT}.dkr.ecr.${env.region}.amazonaws.com`;
      expect(args.slice(0, 4)).toEqual(['--config', 'default', '--env', env.name]);
      expect(args.filter((_, i) => args[i - 1] === '--image')).toEqual(
        platformConfig.images.map((image) => `${image.name}=${registry}/${image.repositoryName}@${digests.get(image.name)}`),
      );
    }
  });

  test('no static cloud credentials anywhere in the file', () => {
    expect(pipeline.text).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws_secret_access_key|aws-secret-access-key|AKIA[0-9A-Z]{16}|withCredentials|usernamePassword/);
  });

  test('the same check commands as .ci/run', () => {
    for (const check of ciRunChecks) expect([system, check, pipeline.checks.includes(check)]).toEqual([system, check, true]);
  });

  test('every command is one npm script or project command (the pipeline logic lives in the repository)', () => {
    const allowed = [
      /^npm ci( --ignore-scripts)?( --no-audit --no-fund)?$/,
      /^npm test$/,
      /^npm run ([a-z0-9:-]+)( -- .*)?$/,
      /^bash (scripts|\.ci)\/[a-z0-9-]+\.sh( [A-Z_]+| --go)?$/,
    ];
    expect(pipeline.commands.length).toBeGreaterThan(10);
    for (const command of pipeline.commands) {
      expect([command, command.includes('\n'), /&&|\|\||;|\|/.test(command.replace(/\$\([^)]*\)/g, ''))]).toEqual([command, false, false]);
      expect([command, allowed.some((p) => p.test(command))]).toEqual([command, true]);
      const script = /^npm run ([a-z0-9:-]+)/.exec(command)?.[1];
      if (script) expect([command, packageScripts.includes(script)]).toEqual([command, true]);
    }
  });
});

/**
 * The stacks a `npm run deploy:stacks` command line deploys (the configured configuration: "default"), as the
 * command itself decides them.
 */
function stacksDeployedBy(command: string): string[] {
  const match = /^npm run deploy:stacks -- (.*)$/.exec(command);
  if (!match) return [];
  const argv = match[1]
    .split(' ')
    .map((arg) => arg.replace(/^"|"$/g, ''))
    .map((arg) => (arg.startsWith('$') ? 'default' : arg));
  return [...planDeployStacks(argv).stacks];
}

/** The stacks that must exist before a job can start on its runner. */
function stacksNeededByRunner(job: Job): string[] {
  const env = platformConfig.environments.find((e) => e.name === job.env)!;
  if (job.runner === 'codebuild') {
    // codebuild-<project>-<run id>-<attempt>: the CodeBuild project of one environment's runner stack.
    const owner = platformConfig.environments.find((e) => job.runsOn.startsWith(`codebuild-${names.runnerProject(platformConfig, e)}-`));
    expect([job.id, owner?.name]).toEqual([job.id, env.name]);
    return [names.runnerStack(platformConfig, env)];
  }
  // A runner (agent) inside the environment's VPC, which the environment stack creates.
  if (job.runner === 'vpc') return [names.environmentStack(platformConfig, env)];
  return [];
}

describe.each(pipelines)('%s: no job waits for a runner that only it or a later job creates', (_system, pipeline) => {
  test.each(platformConfig.environments.map((env) => env.name))('%s: the stacks its runners need are deployed by earlier jobs, from runners that need none of them', (name) => {
    const jobs = pipeline.jobs.filter((j) => j.env === name);
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    const deployedBy = new Map(pipeline.jobs.map((j) => [j.id, j.commands.flatMap(stacksDeployedBy)]));
    for (const job of jobs) {
      const needed = stacksNeededByRunner(job);
      const before = new Set(job.after.flatMap((id) => deployedBy.get(id) ?? []));
      expect([job.id, needed.filter((stack) => !before.has(stack))]).toEqual([job.id, []]);
      expect([job.id, needed.filter((stack) => deployedBy.get(job.id)!.includes(stack))]).toEqual([job.id, []]);
    }
    // The environment's stack is deployed by this delivery, and the workload by a job on a runner inside the VPC.
    expect(jobs.flatMap((j) => deployedBy.get(j.id)!)).toContain(
      names.environmentStack(
        platformConfig,
        platformConfig.environments.find((e) => e.name === name)!,
      ),
    );
    const workload = jobs.filter((j) => j.commands.some((c) => c.startsWith('npm run deploy:built -- ')));
    expect(workload.map((j) => [j.id, j.runner === 'hosted'])).toEqual(workload.map((j) => [j.id, false]));
  });
});

// --- Images: one build per declared image, decided by images:plan, pushed after every scan, deployed by digest -----

/** How a pipeline builds, scans, pushes and deploys the images, read from its file. */
interface ImageFlow {
  /** The change detection command line, and the CI variable (or ref) it compares with. */
  readonly plans: { readonly command: string; readonly base: string | undefined }[];
  /**
   * The build, scan and push commands as each job (or matrix leg) runs them for a plan, the matrix variables
   * filled in: every job reads the plan, so what it runs is a function of the plan.
   */
  readonly runs: (plan: ImagePlan) => { build: string[][]; scan: string[][]; push: string[][] };
  /** Job order: the ids of the plan, build, image scan, IaC scan, push and deploy jobs, and what runs before each. */
  readonly order: { plan: string; build: string; scan: string; scanIac: string; push: string; deploys: string[]; after: (id: string) => string[] };
  /** Where the deploy job finds the digest files the push wrote (relative to the push job's digest folder). */
  readonly digestsCarried: (pushed: string) => string;
}

/** An images:build / scan / push command line over images-plan.json, with the leg's variables, as the tools it runs. */
function commandRuns(command: string, plan: ImagePlan, vars: Record<string, string>): string[][] {
  const match = /^npm run images:(build|scan|push) -- (.*)$/.exec(command);
  if (!match) return [];
  const argv = match[2]
    .split(' ')
    .map((a) => a.replace(/^"|"$/g, ''))
    .map((a) => a.replace(/\$(\w+)/g, (m, k) => vars[k] ?? m));
  const flag = (name: string) => argv[argv.indexOf(`--${name}`) + 1];
  expect([command, flag('plan')]).toEqual([command, 'images-plan.json']);
  const images = selectImages(plan, argv.includes('--image') ? flag('image') : undefined);
  return imageCommands(match[1] as 'build' | 'scan' | 'push', images, { tag: flag('tag'), registry: flag('registry'), digests: flag('digests') });
}

function githubImages(): ImageFlow {
  const jobs = yaml('.github/workflows/build-scan.yml').jobs as Dict;
  const deploy = yaml('.github/workflows/deploy.yml').jobs.deploy as Dict;
  const planStep = (jobs.plan.steps as Dict[]).find((s) => s.id === 'plan')!;
  expect(jobs.plan.outputs).toMatchObject({ matrix: '${{ steps.plan.outputs.matrix }}', count: '${{ steps.plan.outputs.count }}' });
  expect(jobs.plan.steps[0].with['fetch-depth']).toBe(0);
  // Build, scan and push are matrices over the plan's output, and only those.
  for (const name of ['build', 'scan-image', 'push']) {
    expect([name, jobs[name].strategy?.matrix, [jobs[name].needs].flat()]).toEqual([name, '${{ fromJSON(needs.plan.outputs.matrix) }}', expect.arrayContaining(['plan'])]);
  }
  const buildStep = (jobs.build.steps as Dict[]).find((s) => String(s.uses).startsWith('docker/build-push-action@'))!;
  const pushStep = (jobs.push.steps as Dict[]).find((s) => s.id === 'push')!;
  const upload = (jobs.push.steps as Dict[]).find((s) => String(s.uses).startsWith('actions/upload-artifact@'))!;
  const download = (deploy.steps as Dict[]).find((s) => s.with?.pattern)!;
  const scans = (jobs['scan-image'].steps as Dict[]).filter((s) => String(s.uses).startsWith('aquasecurity/trivy-action@') && s.with['exit-code']);
  const leg = (text: string, entry: Dict) => String(text).replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_m, k) => entry[k]);
  return {
    plans: [{ command: planStep.run, base: planStep.env.BASE }],
    runs: (plan) => {
      const { include } = githubMatrix(plan);
      return {
        build: include.map((e) => {
          expect(buildStep.with.outputs).toBe('type=docker,dest=${{ matrix.archive }}');
          return ['buildx', leg(buildStep.with.context, e), leg(buildStep.with.file, e), e.archive, leg(buildStep.with.tags, e)];
        }),
        scan: include.flatMap((e) => scans.map((s) => ['trivy', leg(s.with.input, e)])),
        push: include.map((e) => {
          expect(pushStep.run).toBe('npm run image:push -- "$IMAGE_TAR" "$REPOSITORY" "$TAG" "$DIGEST_FILE"');
          // The artifact the deploy job downloads holds exactly the file the push wrote.
          expect([leg(upload.with.name, e), leg(upload.with.path, e)]).toEqual([`digest-${e.name}`, leg(pushStep.env.DIGEST_FILE, e)]);
          return [
            'push-image.sh',
            leg(pushStep.env.IMAGE_TAR, e),
            leg(pushStep.env.REPOSITORY, e).replace('${{ steps.ecr.outputs.registry }}', 'registry'),
            'tag',
            leg(pushStep.env.DIGEST_FILE, e),
          ];
        }),
      };
    },
    order: {
      plan: 'plan',
      build: 'build',
      scan: 'scan-image',
      scanIac: 'scan-iac',
      push: 'push',
      deploys: platformConfig.environments.map((e) => `deploy-${e.name}`),
      after: (id) =>
        id.startsWith('deploy-')
          ? closure('deploy', (n) => [yaml(`.github/workflows/${id}.yml`).jobs[n].needs ?? []].flat()).flatMap((n) => (n === 'build-scan' ? Object.keys(jobs) : [n]))
          : closure(id, (n) => [jobs[n].needs ?? []].flat()),
    },
    // download-artifact (pattern digest-*, path digests): digests/digest-<image>/<image>.env.
    digestsCarried: (pushed) => {
      expect(download.with).toEqual({ pattern: 'digest-*', path: 'digests' });
      const name = /^digests\/([a-z0-9-]+)\.env$/.exec(pushed)![1];
      return `digests/digest-${name}/${name}.env`;
    },
  };
}

function gitlabImages(): ImageFlow {
  const doc = yaml('.gitlab-ci.yml') as Dict;
  const security = yaml('.gitlab/ci/security.gitlab-ci.yml') as Dict;
  const legs = (doc['.per-image'].parallel.matrix as Dict[]).flatMap((m) => m.IMAGE as string[]);
  const script = (name: string) => (doc[name].script as string[]).map(String);
  const perImage = (name: string) => [doc[name].extends].flat().includes('.per-image');
  for (const name of ['build-image', 'scan-image', 'push-image']) expect([name, perImage(name)]).toEqual([name, true]);
  expect(security.container_scanning.extends).toBe('.per-image');
  const runsOf = (name: string, plan: ImagePlan) => legs.flatMap((image) => script(name).flatMap((c) => commandRuns(c, plan, { IMAGE: image, CI_COMMIT_SHA: 'tag' })));
  const needs = (name: string) => [doc[name]?.needs ?? []].flat().map((n: string | Dict) => (typeof n === 'string' ? n : String(n.job)));
  return {
    plans: script('plan-images')
      .filter((c) => c.startsWith('npm run images:plan'))
      .map((command) => ({ command, base: /--base "([^"]+)"/.exec(command)?.[1] })),
    runs: (plan) => ({ build: runsOf('build-image', plan), scan: runsOf('scan-image', plan), push: runsOf('push-image', plan) }),
    order: {
      plan: 'plan-images',
      build: 'build-image',
      scan: 'scan-image',
      scanIac: 'scan-iac',
      push: 'push-image',
      deploys: platformConfig.environments.map((e) => `deploy-${e.name}`),
      after: (id) => closure(id, needs),
    },
    // `needs` on a parallel job brings every leg's artifacts (digests/) into the job's folder.
    digestsCarried: (pushed) => {
      expect(doc['push-image'].artifacts.paths).toEqual(['digests/']);
      return pushed;
    },
  };
}

/** The command that starts each step of the image flow (Bitbucket and Jenkins find their steps by it). */
const STEP_COMMAND = {
  plan: /^npm run images:plan/,
  build: /^npm run images:build/,
  scan: /^npm run images:scan/,
  'scan-iac': /^npm run scan:iac/,
  push: /^npm run images:push/,
};
const mapSteps = <T>(of: (pattern: RegExp) => T): Record<keyof typeof STEP_COMMAND, T> =>
  Object.fromEntries(Object.entries(STEP_COMMAND).map(([k, pattern]) => [k, of(pattern)])) as Record<keyof typeof STEP_COMMAND, T>;

function bitbucketImages(): ImageFlow {
  const doc = yaml('bitbucket-pipelines.yml');
  const pipelines: [string, Dict[]][] = [
    ...Object.entries(doc.pipelines.branches as Record<string, Dict[]>),
    ...Object.entries(doc.pipelines.tags as Record<string, Dict[]>).map(([glob, p]): [string, Dict[]] => [`tag:${glob}`, p]),
  ].filter(([, p]) => bitbucketSteps(p).some(({ step }) => step.deployment));
  expect(pipelines.map(([t]) => t).sort()).toEqual(['develop', 'staging', `tag:${releaseTags}`].sort());
  const stepsOf = (p: Dict[]) => bitbucketSteps(p).map(({ step, item }) => ({ step, item, commands: (step.script as string[]).map(String) }));
  const find = (p: Dict[], pattern: RegExp) => stepsOf(p).filter((s) => s.commands.some((c) => pattern.test(c)));
  const runsOf = (pattern: RegExp, plan: ImagePlan) =>
    pipelines.flatMap(([, p]) => find(p, pattern).flatMap((s) => s.commands.flatMap((c) => commandRuns(c, plan, { BITBUCKET_COMMIT: 'tag' }))));
  return {
    plans: pipelines.flatMap(([, p]) =>
      find(p, STEP_COMMAND.plan).flatMap((s) =>
        s.commands.filter((c) => c.startsWith('npm run images:plan')).map((command) => ({ command, base: /--base (\S+)/.exec(command)?.[1] })),
      ),
    ),
    // Every pipeline runs its loops once: a plan of N images gives N runs per pipeline; count them per pipeline.
    runs: (plan) => {
      const perPipeline = (pattern: RegExp) => {
        const runs = runsOf(pattern, plan);
        return runs.slice(0, runs.length / pipelines.length);
      };
      return { build: perPipeline(STEP_COMMAND.build), scan: perPipeline(STEP_COMMAND.scan), push: perPipeline(STEP_COMMAND.push) };
    },
    order: {
      plan: 'plan',
      build: 'build',
      scan: 'scan',
      scanIac: 'scan-iac',
      push: 'push',
      deploys: platformConfig.environments.map((e) => `deploy-${e.name}`),
      // Per pipeline: the item (parallel group or step) each kind of step sits in; earlier items finished before.
      after: (id) => {
        const afterIn = pipelines.map(([, p]) => {
          const item = (pattern: RegExp) => Math.min(...find(p, pattern).map((s) => s.item));
          const items: Record<string, number> = { ...mapSteps(item), deploy: item(/^npm run deploy:built/) };
          const mine = id.startsWith('deploy-') ? items.deploy : items[id];
          // Steps of the same item run at the same time, except commands of one step, which run in order.
          return Object.keys(items).filter((k) => items[k] < mine || (k === 'plan' && id === 'build' && items.plan === items.build));
        });
        // What every pipeline has before the step.
        return afterIn.reduce((a, b) => a.filter((k) => b.includes(k)));
      },
    },
    digestsCarried: (pushed) => {
      const push = stepsOf(pipelines[0][1]).find((s) => s.commands.some((c) => c.startsWith('npm run images:push')))!;
      expect(push.step.artifacts).toEqual(['digests/**']);
      return pushed;
    },
  };
}

function jenkinsImages(): ImageFlow {
  const code = read('Jenkinsfile').replace(/^\s*\/\/.*$/gm, '');
  const buildScan = block(code, code.indexOf("stage('build-scan')"));
  const inner = [...buildScan.matchAll(/^ {16}stage\('([^']+)'\)/gm)].map((m) => m[1]);
  const shOf = (name: string) => [...block(buildScan, buildScan.indexOf(`stage('${name}')`)).matchAll(/^\s*sh '([^']*)'$/gm)].map((m) => m[1]);
  const all = inner.flatMap(shOf);
  const stageOf = (pattern: RegExp) => inner.find((name) => shOf(name).some((c) => pattern.test(c)))!;
  const runsOf = (pattern: RegExp, plan: ImagePlan) => all.filter((c) => pattern.test(c)).flatMap((c) => commandRuns(c, plan, { GIT_COMMIT: 'tag' }));
  const topLevel = [...block(code, code.indexOf('stages')).matchAll(/^ {8}stage\('([^']+)'\)/gm)].map((m) => m[1]);
  const ids: Record<string, string> = mapSteps(stageOf);
  return {
    plans: all.filter((c) => c.startsWith('npm run images:plan')).map((command) => ({ command, base: /--base "([^"]+)"/.exec(command)?.[1] })),
    runs: (plan) => ({ build: runsOf(STEP_COMMAND.build, plan), scan: runsOf(STEP_COMMAND.scan, plan), push: runsOf(STEP_COMMAND.push, plan) }),
    order: {
      plan: 'plan',
      build: 'build',
      scan: 'scan',
      scanIac: 'scan-iac',
      push: 'push',
      deploys: platformConfig.environments.map((e) => `deploy ${e.name}`),
      // The stages of build-scan run one after the other on one agent; the deploy stages come after build-scan.
      after: (id) => {
        if (id.startsWith('deploy ')) return topLevel.indexOf(id) > topLevel.indexOf('build-scan') ? Object.keys(ids) : [];
        const at = (k: string) => inner.indexOf(ids[k]) + (k === 'scan-iac' ? 0.5 : 0);
        return Object.keys(ids).filter((k) => at(k) < at(id));
      },
    },
    digestsCarried: (pushed) => {
      expect(buildScan).toContain("stash name: 'image-digests', includes: 'digests/*.env', allowEmpty: true");
      for (const env of platformConfig.environments) expect(block(code, code.indexOf(`stage('deploy ${env.name}')`))).toContain("unstash 'image-digests'");
      return pushed;
    },
  };
}

/** Read inside each test (a file that lacks the structure fails its tests, naming what is missing). */
const imageFlows: [string, () => ImageFlow][] = [
  ['GitHub Actions', githubImages],
  ['GitLab CI/CD', gitlabImages],
  ['Bitbucket Pipelines', bitbucketImages],
  ['Jenkins', jenkinsImages],
];

/** The plan images:plan makes for these declared images when all of them, or none, changed. */
const planOf = (names: readonly string[]): ImagePlan => ({
  head: 'h',
  reason: 'test',
  declared: platformConfig.images.map((i) => i.name),
  images: platformConfig.images.filter((i) => names.includes(i.name)).map((i) => ({ ...i, archive: archiveOf(i.name), because: ['test'] })),
});

/** The CI variable each system compares with (the previous tip of the branch, or the last successful build). */
const PLAN_BASES: Record<string, (string | undefined)[]> = {
  'GitHub Actions': ['${{ github.event.pull_request.base.sha || github.event.before }}'],
  'GitLab CI/CD': ['$CI_COMMIT_BEFORE_SHA'],
  // No "previous tip" in Bitbucket: the first parent on branches; a release tag plans every image (no base).
  'Bitbucket Pipelines': ['HEAD^1', 'HEAD^1', undefined],
  Jenkins: ['$GIT_PREVIOUS_SUCCESSFUL_COMMIT'],
};

describe.each(imageFlows)('%s: images', (system, read) => {
  const declared = platformConfig.images;
  let flow: ImageFlow;
  beforeEach(() => {
    flow = read();
  });

  test("the change detection command decides: images:plan of the configured configuration, from the CI system's previous commit, before any build", () => {
    expect(flow.plans.map((p) => p.base)).toEqual(PLAN_BASES[system]);
    for (const { command } of flow.plans)
      expect(command).toMatch(/^npm run images:plan -- --config "\$(PLATFORM_CONFIG|\{PLATFORM_CONFIG:-default\})"( --base \S+)?( --out images-plan\.json)?$/);
    // Nothing changed for any image: nothing built, scanned or pushed.
    expect(flow.runs(planOf([]))).toEqual({ build: [], scan: [], push: [] });
    for (const id of [flow.order.build, flow.order.scan, flow.order.push]) expect([id, flow.order.after(id)]).toEqual([id, expect.arrayContaining([flow.order.plan])]);
  });

  test('one build per declared image, with its own context and Dockerfile; one image scan and one push each', () => {
    const runs = flow.runs(planOf(declared.map((i) => i.name)));
    expect(runs.build).toHaveLength(declared.length);
    // Each run's last arguments: <context> <dockerfile> <archive> <name:tag> (build), … <archive> <registry>/<repository> <tag> <digest file> (push).
    for (const [i, image] of declared.entries()) {
      expect(runs.build[i].slice(-4, -1)).toEqual([image.context, image.dockerfile, archiveOf(image.name)]);
      expect(runs.scan.filter((scan) => scan.includes(archiveOf(image.name)))).toHaveLength(1);
      const push = runs.push.filter((p) => p.includes(archiveOf(image.name)));
      expect(push.map((p) => [p.at(-4), p.at(-3)!.endsWith(`/${image.repositoryName}`), p.at(-1)])).toEqual([[archiveOf(image.name), true, `digests/${image.name}.env`]]);
    }
    expect([runs.scan.length, runs.push.length]).toEqual([declared.length, declared.length]);
  });

  test('every push waits for the build and every scan (the image scans and the IaC scan); every deploy for the push', () => {
    const after = flow.order.after(flow.order.push);
    for (const id of [flow.order.build, flow.order.scan, flow.order.scanIac]) expect([flow.order.push, id, after.includes(id)]).toEqual([flow.order.push, id, true]);
    for (const deploy of flow.order.deploys) expect([deploy, flow.order.after(deploy)]).toEqual([deploy, expect.arrayContaining([flow.order.push])]);
  });

  test('the deploy step gets every image pushed in this run, by digest, as name=ref', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-digests-'));
    try {
      const pushes = flow.runs(planOf(declared.map((i) => i.name))).push;
      for (const [i, push] of pushes.entries()) {
        const file = join(dir, flow.digestsCarried(push.at(-1)!));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `IMAGE_DIGEST=sha256:${String(i).repeat(64)}\n`);
      }
      const args = deployBuiltArgs(platformConfig, 'default', ['--env', 'dev', '--registry', 'r.example', '--digests', 'digests'], readDigests(join(dir, 'digests')))!;
      expect(args.filter((_, i) => args[i - 1] === '--image')).toEqual(
        declared.map((image, i) => `${image.name}=r.example/${image.repositoryName}@sha256:${String(i).repeat(64)}`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GitLab: the per-image matrix is the declared images', () => {
  test('.per-image lists exactly config images, in order (add an image: add it here)', () => {
    const doc = yaml('.gitlab-ci.yml');
    expect((doc['.per-image'].parallel.matrix as Dict[]).flatMap((m) => m.IMAGE)).toEqual(platformConfig.images.map((i) => i.name));
  });
});

describe('the other CI systems use the Node.js 22 image pinned in app/Dockerfile', () => {
  const pinned = /FROM (?:--platform=\$BUILDPLATFORM )?(node:22-bookworm-slim@sha256:[a-f0-9]{64})/.exec(read('app/Dockerfile'))?.[1];
  test.each(['.gitlab-ci.yml', 'bitbucket-pipelines.yml'])('%s', (file) => {
    expect(pinned).toBeDefined();
    const images = [...read(file).matchAll(/^\s*image: (\S+)$/gm)].map((m) => m[1]);
    expect(images).toEqual([pinned]);
  });
});

describe('the configuration deployed (PLATFORM_CONFIG) is "default" unless the CI system sets it', () => {
  test('GitLab: a pipeline default that a project CI/CD variable overrides', () => {
    expect(yaml('.gitlab-ci.yml').variables.PLATFORM_CONFIG).toBe('default');
  });
  test('Jenkins: a global or folder variable, else the default', () => {
    expect(read('Jenkinsfile')).toContain(`PLATFORM_CONFIG = "\${env.PLATFORM_CONFIG ?: 'default'}"`);
  });
  test('Bitbucket: a repository variable, else the default (shell default in each command)', () => {
    const lines = read('bitbucket-pipelines.yml')
      .split('\n')
      .filter((l) => /npm run (deploy|deploy:built|deploy:stacks|images:plan) -- /.test(l));
    // Three stack deploys, three workload deploys, the plans of the branches and of the release tags.
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(line).toContain('--config "${PLATFORM_CONFIG:-default}"');
  });
});
