/**
 * The four pipelines (GitHub Actions, GitLab CI/CD, Bitbucket Pipelines, Jenkins) read side by side: each one must
 * state the same delivery facts, taken from config/platform.ts and .ci/run rather than from one CI system's file:
 * which branch or tag deploys which environment, the prod gate, one deploy at a time per environment, the deploy on
 * a runner inside the environment's VPC, every deploy through the deploy command by digest, no static credentials,
 * thin steps, and the same check commands as .ci/run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { type EnvironmentConfig, platformConfig } from '../../config';
import { ciRunChecks as readCiRunChecks } from '../support/ci-run';

type Dict = Record<string, any>;
const root = resolve(__dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const yaml = (file: string) => load(read(file)) as Dict;
const packageScripts = Object.keys(JSON.parse(read('package.json')).scripts as Dict);
const releaseTags = platformConfig.delivery!.releaseTagPattern;

/** What a pipeline says about delivering one environment. */
interface Deploy {
  /** Branch, or "tag:<glob>" / "release" (GitHub: a published release). */
  readonly trigger: string;
  /** Started only after a person's approval or by hand. */
  readonly gated: boolean;
  /** The lock that keeps one deploy at a time for this environment (resource group, concurrency group, lock). */
  readonly serializedBy: string | undefined;
  /** Where it runs (runner label / tag / agent label). */
  readonly runsOn: string;
  /** The commands, with this environment's variables filled in. */
  readonly commands: string[];
}

interface Pipeline {
  readonly file: string;
  readonly text: string;
  readonly deploys: Record<string, Deploy>;
  readonly checks: string[];
  /** Every command line of every job/step. */
  readonly commands: string[];
}

// --- GitHub Actions ---------------------------------------------------------------------------------------------
function github(): Pipeline {
  const dir = '.github/workflows';
  const files = readdirSync(join(root, dir)).filter((f) => /\.ya?ml$/.test(f));
  const workflows = Object.fromEntries(files.map((f) => [f, yaml(`${dir}/${f}`)]));
  const runsOf = (job: Dict) => ((job.steps ?? []) as Dict[]).filter((s) => s.run).map((s) => String(s.run).trim());
  const deployJob = workflows['deploy.yml'].jobs.deploy;
  const deploys: Record<string, Deploy> = {};
  for (const env of platformConfig.environments) {
    const caller = workflows[`deploy-${env.name}.yml`];
    const on = caller.on as Dict;
    const inputs = caller.jobs.deploy.with as Dict;
    const fill = (text: string) => text.replaceAll('${{ inputs.environment }}', inputs.environment);
    deploys[env.name] = {
      trigger: on.push ? on.push.branches.join(',') : on.release?.types?.includes('published') ? 'release' : '?',
      // GitHub Environment protection (required reviewers) gates a job that runs in that Environment.
      gated:
        deployJob.environment?.name === '${{ inputs.environment }}' &&
        inputs.environment === env.name &&
        /required reviewers/i.test(JSON.stringify(caller) + read(`${dir}/deploy-${env.name}.yml`)),
      serializedBy: deployJob.concurrency?.['cancel-in-progress'] === false ? fill(deployJob.concurrency.group) : undefined,
      runsOn: fill(deployJob['runs-on']),
      // Each step's env filled in (with the caller's inputs), as the runner would.
      commands: ((deployJob.steps ?? []) as Dict[])
        .filter((step) => step.run)
        .map((step) =>
          Object.entries((step.env ?? {}) as Dict).reduce(
            (command, [name, value]) =>
              command.replaceAll(
                `"$${name}"`,
                name === 'ENVIRONMENT' ? inputs.environment : `"${String(value).replace(/\$\{\{ inputs\.([a-z-]+) \}\}/g, (_m, k) => inputs[k] ?? _m)}"`,
              ),
            String(step.run).trim(),
          ),
        ),
    };
  }
  const checks = Object.values(workflows['ci.yml'].jobs as Dict).flatMap(runsOf);
  const commands = Object.values(workflows).flatMap((wf) => Object.values(wf.jobs as Dict).flatMap(runsOf));
  return { file: dir, text: files.map((f) => read(`${dir}/${f}`)).join('\n'), deploys, checks, commands };
}

// --- GitLab CI/CD -----------------------------------------------------------------------------------------------
function gitlab(): Pipeline {
  const doc = { ...yaml('.gitlab-ci.yml') };
  const jobs = Object.entries(doc).filter(([name, job]) => typeof job === 'object' && !['workflow', 'stages', 'include', 'default', 'variables'].includes(name)) as [
    string,
    Dict,
  ][];
  const byName = Object.fromEntries(jobs);
  /** A job with its `extends` merged in (one level of keys, as GitLab does for these). */
  const resolved = (job: Dict): Dict => {
    const parents = [job.extends ?? []].flat().map((p: string) => resolved(byName[p]));
    return Object.assign({}, ...parents, job, { variables: Object.assign({}, ...parents.map((p) => p.variables ?? {}), job.variables ?? {}) });
  };
  const lines = (job: Dict) => [...(job.before_script ?? []), ...(job.script ?? [])].map(String);
  const deploys: Record<string, Deploy> = {};
  for (const [, raw] of jobs.filter(([name]) => !name.startsWith('.'))) {
    const job = resolved(raw);
    const env = job.environment?.name as string | undefined;
    if (!env) continue;
    const rule = (job.rules ?? [])[0] as Dict;
    const branch = /^\$CI_COMMIT_BRANCH == "([^"]+)"$/.exec(rule.if)?.[1];
    const tag = /^\$CI_COMMIT_TAG =~ \/\^([^/]+)\/$/.exec(rule.if)?.[1];
    const fill = (text: string) => Object.entries(job.variables as Dict).reduce((t, [k, v]) => t.replaceAll(`"$${k}"`, String(v)).replaceAll(`$${k}`, String(v)), text);
    deploys[env] = {
      trigger: branch ?? (tag ? `tag:${tag}*` : '?'),
      gated: rule.when === 'manual' && rule.allow_failure === false,
      serializedBy: job.resource_group,
      runsOn: (job.tags ?? []).join(','),
      commands: lines(job).map(fill),
    };
  }
  const checks = jobs.filter(([name, job]) => !name.startsWith('.') && resolved(job).stage === 'check').flatMap(([, job]) => lines(resolved(job)));
  const commands = jobs.filter(([name]) => !name.startsWith('.')).flatMap(([, job]) => lines(resolved(job)));
  return { file: '.gitlab-ci.yml', text: read('.gitlab-ci.yml') + read('.gitlab/ci/security.gitlab-ci.yml'), deploys, checks, commands };
}

// --- Bitbucket Pipelines ----------------------------------------------------------------------------------------
function bitbucket(): Pipeline {
  const doc = yaml('bitbucket-pipelines.yml');
  const stepsOf = (pipeline: Dict[]): Dict[] => pipeline.flatMap((item) => (item.step ? [item.step] : item.parallel ? stepsOf(item.parallel.steps ?? item.parallel) : []));
  const deploys: Record<string, Deploy> = {};
  const sections: [string, Dict[]][] = [
    ...Object.entries(doc.pipelines.branches as Record<string, Dict[]>),
    ...Object.entries(doc.pipelines.tags as Record<string, Dict[]>).map(([glob, p]): [string, Dict[]] => [`tag:${glob}`, p]),
  ];
  for (const [trigger, pipeline] of sections) {
    for (const step of stepsOf(pipeline).filter((s) => s.deployment && s.deployment !== 'images')) {
      deploys[step.deployment] = {
        trigger,
        gated: step.trigger === 'manual',
        serializedBy: step['concurrency-group'],
        runsOn: [step['runs-on']].flat().join(','),
        commands: step.script.map(String),
      };
    }
  }
  const checks = stepsOf(doc.pipelines['pull-requests']['**']).flatMap((s) => s.script.map(String));
  const all = [
    ...Object.values(doc.pipelines.branches as Record<string, Dict[]>),
    ...Object.values(doc.pipelines.tags as Record<string, Dict[]>),
    doc.pipelines['pull-requests']['**'],
  ];
  const commands = all.flatMap((p) => stepsOf(p).flatMap((s) => s.script.map(String)));
  return { file: 'bitbucket-pipelines.yml', text: read('bitbucket-pipelines.yml'), deploys, checks, commands };
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
  const deploys: Record<string, Deploy> = {};
  for (const env of platformConfig.environments) {
    const at = code.indexOf(`stage('deploy ${env.name}')`);
    if (at < 0) continue;
    const body = stage(`deploy ${env.name}`);
    const when = block(body, body.indexOf('when'));
    const branch = /branch '([^']+)'/.exec(when)?.[1];
    const tag = /tag pattern: '([^']+)', comparator: 'GLOB'/.exec(when)?.[1];
    const vars = Object.fromEntries([...block(body, body.indexOf('environment')).matchAll(/(\w+) = '([^']*)'/g)].map((m) => [m[1], m[2]]));
    const fill = (line: string) => Object.entries(vars).reduce((t, [k, v]) => t.replaceAll(`"$${k}"`, v).replaceAll(`$${k}`, v), line);
    deploys[env.name] = {
      trigger: branch ?? (tag ? `tag:${tag}` : '?'),
      gated: /input\s*\{[^}]*submitter '[^']+'/.test(body),
      serializedBy: /options \{ lock\('([^']+)'\) \}/.exec(body)?.[1],
      runsOn: /agent \{ label '([^']+)' \}/.exec(body)?.[1] ?? '?',
      commands: shLines(body).map(fill),
    };
  }
  return { file: 'Jenkinsfile', text, deploys, checks: shLines(stage('check')), commands: shLines(code) };
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

  test("every deploy goes through the deploy command, for its own environment, with the image by digest, after its stacks' deploy, both for the configured configuration", () => {
    // The configured configuration: a CI variable PLATFORM_CONFIG ("default" when unset).
    const config = String.raw`--config "\$(PLATFORM_CONFIG|\{PLATFORM_CONFIG:-default\})"`;
    for (const env of platformConfig.environments) {
      const commands = pipeline.deploys[env.name].commands;
      expect(commands.filter((c) => c.startsWith('npx cdk'))).toEqual([]);
      const cdk = commands.findIndex((c) => new RegExp(`^npm run deploy:stacks -- ${config} --env "?${env.name}"? --outputs-file cdk-outputs\\.json$`).test(c));
      const deploy = commands.findIndex((c) => new RegExp(`^npm run deploy -- ${config} --env ${env.name} `).test(c));
      expect([env.name, cdk >= 0, deploy > cdk]).toEqual([env.name, true, true]);
      expect(commands[deploy]).toMatch(/--image "[^"]*@[^"]+" --outputs cdk-outputs\.json$/);
      expect(commands.filter((c) => /kubectl|helm /.test(c))).toEqual([]);
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
      .filter((l) => /npm run (deploy|deploy:stacks) -- /.test(l));
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toContain('--config "${PLATFORM_CONFIG:-default}"');
  });
});
