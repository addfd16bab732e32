/**
 * Reads the GitHub Actions workflows and checks the delivery rules: triggers per environment, least privilege,
 * SHA-pinned actions, the prod gate, one deploy at a time per environment, every deploy through the deploy
 * command, thin steps (each one an npm script or project command).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { platformConfig } from '../../config';
import { CONFIGURATIONS, DEFAULT_CONFIGURATION, SYNTHESIZED_CONFIGURATIONS } from '../../config/configurations';
import { environmentDeliveryStackNames, imagePushSubjects, names, SHARED_DEPLOY_ENVIRONMENT, sharedDeploySubjects, sharedStackNames } from '../../infra/names';
import { deployStacksCommand } from '../../scripts/deploy-stacks';
import { ciRunChecks } from '../support/ci-run';

type Dict = Record<string, unknown>;
interface Step extends Dict {
  uses?: string;
  run?: string;
  with?: Dict;
  env?: Dict;
  id?: string;
}
interface Job extends Dict {
  uses?: string;
  with?: Dict;
  needs?: string | string[];
  permissions?: Dict | string;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean } | string;
  steps?: Step[];
}
interface Workflow {
  file: string;
  text: string;
  on: Dict;
  permissions?: Dict | string;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, Job>;
}

const root = resolve(__dirname, '../..');
const dir = join(root, '.github/workflows');
const workflows: Record<string, Workflow> = Object.fromEntries(
  readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const doc = load(text) as Dict;
      return [file, { ...(doc as object), file, text, on: doc.on as Dict } as Workflow];
    }),
);
const packageScripts = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Dict }).scripts);

const allJobs = () => Object.values(workflows).flatMap((wf) => Object.entries(wf.jobs).map(([name, job]) => ({ wf, name, job })));
const steps = (job: Job): Step[] => job.steps ?? [];
/** A step's command; `exec` (the deploy step: the runner signals only the step's shell on a cancel) is not part of it. */
const runs = (job: Job): string[] => steps(job).flatMap((step) => (step.run === undefined ? [] : [step.run.trim().replace(/^exec /, '')]));
const localWorkflow = (uses: string): Workflow => {
  const file = uses.replace(/^\.\/\.github\/workflows\//, '');
  expect(workflows[file]).toBeDefined();
  return workflows[file];
};
/** The jobs that actually run for a job: itself, or every job of the reusable workflow it calls (recursively). */
const effectiveJobs = (job: Job): Job[] => (job.uses?.startsWith('./') ? Object.values(localWorkflow(job.uses).jobs).flatMap(effectiveJobs) : [job]);
const assumesAwsRole = (job: Job) => effectiveJobs(job).some((j) => steps(j).some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@')));
const uploadsSecurityEvents = (job: Job) => effectiveJobs(job).some((j) => steps(j).some((s) => s.uses?.startsWith('github/codeql-action/')));
const permissionsOf = (job: Job): Dict => {
  expect(typeof job.permissions).not.toBe('string'); // no read-all / write-all shorthands
  return (job.permissions as Dict | undefined) ?? {};
};

describe('workflow files', () => {
  it('include CI, build-scan, the reusable deploy and one caller per environment', () => {
    const expected = ['ci.yml', 'build-scan.yml', 'deploy.yml', 'deploy-shared.yml', ...platformConfig.environments.map((env) => `deploy-${env.name}.yml`)];
    expect(Object.keys(workflows).sort()).toEqual(expect.arrayContaining(expected.sort()));
    expect(platformConfig.environments.map((env) => env.name)).toEqual(['dev', 'staging', 'prod']);
  });
});

describe('triggers per environment', () => {
  it.each(platformConfig.environments.map((env) => [env.name, env] as const))('%s deploys from what config/platform.ts says', (name, env) => {
    const wf = workflows[`deploy-${name}.yml`];
    if (env.deployFrom.kind === 'branch') {
      expect(wf.on).toEqual({ push: { branches: [env.deployFrom.branch] } });
    } else {
      expect(wf.on).toEqual({ release: { types: ['published'] } });
    }
  });

  it('dev <- push to develop, staging <- push to staging, prod <- published release', () => {
    expect(workflows['deploy-dev.yml'].on).toEqual({ push: { branches: ['develop'] } });
    expect(workflows['deploy-staging.yml'].on).toEqual({ push: { branches: ['staging'] } });
    expect(workflows['deploy-prod.yml'].on).toEqual({ release: { types: ['published'] } });
  });

  it('the reusable workflows are callable; CI runs on pull requests and pushes', () => {
    expect(Object.keys(workflows['deploy.yml'].on)).toEqual(['workflow_call']);
    expect(workflows['build-scan.yml'].on).toHaveProperty('workflow_call');
    expect(workflows['build-scan.yml'].on).toHaveProperty('pull_request');
    expect(workflows['ci.yml'].on).toHaveProperty('pull_request');
    expect(workflows['ci.yml'].on).toHaveProperty('push');
  });
});

describe('each environment caller: build-scan first, then deploy the scanned digests', () => {
  it.each(platformConfig.environments.map((env) => [env.name, env] as const))('%s', (name, env) => {
    const { jobs } = workflows[`deploy-${name}.yml`];
    expect(jobs['build-scan']).toMatchObject({ uses: './.github/workflows/build-scan.yml', with: { push: true } });
    expect(jobs.deploy.uses).toBe('./.github/workflows/deploy.yml');
    expect([jobs.deploy.needs].flat()).toContain('build-scan');
    // The stacks are the configuration's (deploy:stacks --env), not a list kept in the workflow.
    // The images come from build-scan's push jobs (artifacts digest-<image> of this run), not from an input.
    expect(jobs.deploy.with).toEqual({ environment: name, 'aws-region': env.region });
  });
});

describe('least-privilege permissions', () => {
  it('every workflow defaults to contents: read (or nothing)', () => {
    for (const wf of Object.values(workflows)) {
      expect([{ contents: 'read' }, {}]).toContainEqual(wf.permissions);
    }
  });

  it('id-token: write only on jobs that assume an AWS role, and every such job has it', () => {
    for (const { wf, name, job } of allJobs()) {
      const idToken = permissionsOf(job)['id-token'];
      expect({ job: `${wf.file}#${name}`, idToken: idToken === 'write' }).toEqual({ job: `${wf.file}#${name}`, idToken: assumesAwsRole(job) });
    }
  });

  it('security-events: write only on jobs that upload scan results', () => {
    for (const { wf, name, job } of allJobs()) {
      if (permissionsOf(job)['security-events'] === 'write') {
        expect({ job: `${wf.file}#${name}`, uploads: uploadsSecurityEvents(job) }).toEqual({ job: `${wf.file}#${name}`, uploads: true });
      }
    }
  });

  it('pull-requests: write only on the job that posts the review comment (and it does nothing else)', () => {
    const writers = allJobs().filter(({ job }) => permissionsOf(job)['pull-requests'] === 'write');
    expect(writers.map(({ wf, name }) => `${wf.file}#${name}`)).toEqual(['ci.yml#review-comment']);
    const { job } = writers[0];
    expect(permissionsOf(job)).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(runs(job)).toEqual(['npm ci --ignore-scripts --no-audit --no-fund', expect.stringMatching(/^npm run diff:publish -- .* --comment$/)]);
  });

  it('no other write permission anywhere', () => {
    for (const { wf, name, job } of allJobs()) {
      for (const [scope, level] of Object.entries(permissionsOf(job))) {
        if (level === 'write' && !(scope === 'pull-requests' && `${wf.file}#${name}` === 'ci.yml#review-comment')) {
          expect([`${wf.file}#${name}`, scope]).toEqual([`${wf.file}#${name}`, expect.stringMatching(/^(id-token|security-events)$/)]);
        }
      }
    }
  });

  it('jobs that can mint an OIDC token run no install scripts', () => {
    for (const { wf, name, job } of allJobs()) {
      if (permissionsOf(job)['id-token'] !== 'write') continue;
      for (const run of runs(job).filter((command) => command.startsWith('npm ci'))) {
        expect([`${wf.file}#${name}`, run]).toEqual([`${wf.file}#${name}`, expect.stringContaining(' --ignore-scripts')]);
      }
    }
  });

  it('no static AWS keys: roles come from OIDC', () => {
    for (const wf of Object.values(workflows)) {
      expect(wf.text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/i);
    }
  });
});

describe('third-party actions', () => {
  const pins = Object.values(workflows).flatMap((wf) =>
    [...wf.text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => ({ file: wf.file, ref: m[1], comment: m[2].trim() })),
  );

  it('are pinned to a full commit SHA with a version comment', () => {
    const remote = pins.filter((pin) => !pin.ref.startsWith('./'));
    expect(remote.length).toBeGreaterThan(10);
    for (const pin of remote) {
      expect(pin).toEqual({ ...pin, ref: expect.stringMatching(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/), comment: expect.stringMatching(/^# (v\d+\.\d+\.\d+|main\b)/) });
    }
  });

  it('use one commit per action across all workflows', () => {
    const byAction = new Map<string, Set<string>>();
    for (const pin of pins.filter((p) => !p.ref.startsWith('./'))) {
      const [action, sha] = pin.ref.split('@');
      const repo = action.split('/').slice(0, 2).join('/');
      byAction.set(repo, (byAction.get(repo) ?? new Set()).add(sha));
    }
    for (const [repo, shas] of byAction) expect([repo, shas.size]).toEqual([repo, 1]);
  });

  it('local reusable workflows exist', () => {
    for (const pin of pins.filter((p) => p.ref.startsWith('./'))) localWorkflow(pin.ref);
  });
});

describe('deploy', () => {
  const deploy = workflows['deploy.yml'].jobs.deploy;
  const stacks = workflows['deploy.yml'].jobs.stacks;

  it('both jobs run in the GitHub Environment of its input, so prod waits for the prod reviewers', () => {
    expect(deploy.environment).toEqual({ name: '${{ inputs.environment }}' });
    expect(stacks.environment).toEqual({ name: '${{ inputs.environment }}' });
    expect(workflows['deploy-prod.yml'].jobs.deploy).toMatchObject({ uses: './.github/workflows/deploy.yml', with: { environment: 'prod' } });
    expect(workflows['deploy-prod.yml'].text).toMatch(/required reviewers/i);
  });

  it("runs on the environment's runner inside its VPC (CodeBuild project of infra), never on a hosted runner", () => {
    expect(deploy['runs-on']).toBe('codebuild-platform-${{ inputs.environment }}-runner-${{ github.run_id }}-${{ github.run_attempt }}');
    for (const env of platformConfig.environments) {
      const label = String(deploy['runs-on']).replace('${{ inputs.environment }}', env.name);
      expect(label).toBe(`codebuild-${names.runnerProject(platformConfig, env)}-\${{ github.run_id }}-\${{ github.run_attempt }}`);
    }
    // Only the jobs that reach a cluster need it; the others stay on hosted runners.
    const onRunner = allJobs().filter(({ job }) => String(job['runs-on'] ?? '').startsWith('codebuild-'));
    expect(onRunner.map(({ wf, name }) => `${wf.file}#${name}`)).toEqual(['deploy.yml#deploy']);
  });

  it('every job that installs Node.js uses a supported LTS (22 or 24)', () => {
    const versions = allJobs().flatMap(({ job }) =>
      steps(job)
        .filter((step) => step.uses?.startsWith('actions/setup-node@'))
        .map((step) => String(step.with?.['node-version'])),
    );
    expect(versions.length).toBeGreaterThanOrEqual(4);
    for (const version of versions) expect(['22', '24']).toContain(version);
  });

  it('one deploy at a time per environment, never cancelled midway; callers use their own group (no deadlock)', () => {
    // Two groups: a pending deploy job of one run must not cancel (replace) the pending stacks job of another.
    expect(stacks.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
    expect(deploy.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}-workload', 'cancel-in-progress': false });
    for (const env of platformConfig.environments) {
      const caller = workflows[`deploy-${env.name}.yml`];
      expect(caller.concurrency).toEqual({ group: `deliver-${env.name}`, 'cancel-in-progress': false });
      expect(caller.concurrency?.group).not.toBe(`deploy-${env.name}`);
    }
  });

  it("stacks: a hosted runner assumes the environment role through OIDC and deploys the environment's stacks; deploy: after it, on the environment's runner, the deploy command", () => {
    const names = (job: Job) => steps(job).map((step) => step.uses?.split('@')[0] ?? step.run);
    const aws = (job: Job) => steps(job).find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    for (const job of [stacks, deploy]) expect(aws(job)?.with).toMatchObject({ 'role-to-assume': '${{ vars.DEPLOY_ROLE_ARN }}', 'aws-region': '${{ inputs.aws-region }}' });
    expect(stacks['runs-on']).toBe('ubuntu-24.04');
    expect([deploy.needs].flat()).toEqual(['stacks']);
    const cdk = names(stacks).findIndex((name) =>
      /^npm run deploy:stacks -- --config "\$PLATFORM_CONFIG" --env "\$ENVIRONMENT" --outputs-file cdk-outputs\.json$/.test(name ?? ''),
    );
    expect(cdk).toBeGreaterThan(names(stacks).indexOf('aws-actions/configure-aws-credentials'));
    expect(steps(stacks)[cdk].env).toEqual({ ENVIRONMENT: '${{ inputs.environment }}' });
    expect(runs(stacks).filter((run) => run.startsWith('npm run deploy -- '))).toEqual([]);
    // The outputs file travels from the stacks job to the deploy job (IDs and ARNs only).
    const upload = steps(stacks).find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ path: 'cdk-outputs.json', name: 'cdk-outputs-${{ inputs.environment }}' });
    const downloads = steps(deploy).filter((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(downloads.map((step) => step.with)).toEqual([{ name: upload?.with?.name }, { pattern: 'digest-*', path: 'digests' }]);
    const command = names(deploy).findIndex((name) =>
      /^exec npm run deploy:built -- --config "\$PLATFORM_CONFIG" --env "\$ENVIRONMENT" --registry "\$REGISTRY" --digests digests --outputs cdk-outputs\.json$/.test(name ?? ''),
    );
    expect(command).toBeGreaterThan(names(deploy).indexOf('aws-actions/configure-aws-credentials'));
    expect(command).toBeGreaterThan(steps(deploy).lastIndexOf(downloads[1]));
    expect(runs(deploy).filter((run) => run.startsWith('npm run deploy:stacks'))).toEqual([]);
    const env = steps(deploy)[command].env ?? {};
    // The environment's registry (its region; the shared-services account in the multi-account layout).
    expect(env.REGISTRY).toBe('${{ vars.IMAGE_REGISTRY_ACCOUNT || steps.aws.outputs.aws-account-id }}.dkr.ecr.${{ inputs.aws-region }}.amazonaws.com');
  });

  it('every job that deploys an environment goes through the deploy command', () => {
    // The image push job runs in the "images" Environment (its own OIDC trust), it deploys nothing; the shared stacks'
    // job (Environment "shared") deploys no workload.
    const deploying = allJobs().filter(
      ({ job }) =>
        (job.environment !== undefined && job.environment !== 'images' && (job.environment as { name?: string }).name !== 'shared') ||
        job.uses === './.github/workflows/deploy.yml',
    );
    expect(deploying.length).toBe(2 + platformConfig.environments.length);
    for (const { wf, name, job } of deploying) {
      const commands = effectiveJobs(job).flatMap(runs);
      expect([`${wf.file}#${name}`, commands.some((run) => run.startsWith('npm run deploy:built -- '))]).toEqual([`${wf.file}#${name}`, name !== 'stacks']);
    }
  });

  it('images are pushed only in the "images" GitHub Environment, whose role the infrastructure trusts', () => {
    const push = workflows['build-scan.yml'].jobs.push;
    expect(push.environment).toBe('images');
    expect(imagePushSubjects(platformConfig)).toEqual([`repo:${platformConfig.github.owner}/${platformConfig.github.repository}:environment:${push.environment}`]);
  });

  it('only images that passed every scan are pushed: each push waits for every leg of every scan', () => {
    const { jobs } = workflows['build-scan.yml'];
    const scans = Object.keys(jobs).filter((name) => !['push', 'build', 'plan', 'dependency-review'].includes(name));
    expect(scans).toEqual(expect.arrayContaining(['scan-image', 'scan-iac', 'codeql', 'owasp-dependency-check']));
    expect([jobs.push.needs].flat()).toEqual(expect.arrayContaining(['plan', 'build', ...scans]));
    expect(jobs.push.if).toBe("inputs.push && needs.plan.outputs.count != '0'");
    const trivy = Object.values(jobs)
      .flatMap(steps)
      .filter((step) => step.uses?.startsWith('aquasecurity/trivy-action@') && step.with?.['exit-code'] !== undefined);
    expect(trivy.map((step) => step.with?.['scan-type']).sort()).toEqual(['config', 'image']);
    for (const step of trivy) expect(step.with).toMatchObject({ severity: 'HIGH,CRITICAL', 'exit-code': '1' });
  });
});

describe('shared stacks: a workflow of their own, one run at a time; environments deploy only their stack', () => {
  const shared = workflows['deploy-shared.yml'];
  const job = shared.jobs.deploy;

  it.each(Object.keys(CONFIGURATIONS))('deploy-shared deploys exactly the shared stacks of "%s", alone, in the "shared" GitHub Environment with its own role', (name) => {
    const config = CONFIGURATIONS[name];
    expect(job.environment).toEqual({ name: SHARED_DEPLOY_ENVIRONMENT });
    expect(sharedDeploySubjects(config)).toEqual([`repo:${config.github.owner}/${config.github.repository}:environment:shared`]);
    expect(runs(job).filter((run) => /^(npx cdk|npm run deploy)/.test(run))).toEqual(['npm run deploy:stacks -- --config "$PLATFORM_CONFIG" --shared']);
    const cdk = deployStacksCommand(['--config', name, '--shared']);
    expect(cdk.slice(0, 6)).toEqual(['deploy', '-c', `config=${name}`, '--exclusively', '--require-approval', 'never']);
    expect(cdk.slice(6)).toEqual(sharedStackNames(config));
    for (const env of config.environments) expect(cdk).not.toContain(names.environmentStack(config, env));
    const aws = steps(job).find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(aws?.with?.['role-to-assume']).toBe('${{ vars.DEPLOY_ROLE_ARN }}');
    expect(String((shared.on.workflow_call as Dict).inputs && (shared.on.workflow_call as any).inputs['aws-region'].default)).toBe(platformConfig.identity.region);
  });

  it('one concurrency group for every caller, never cancelled midway', () => {
    expect(job.concurrency).toEqual({ group: 'deploy-shared', 'cancel-in-progress': false });
    expect(shared.on).toHaveProperty('workflow_call');
    expect(shared.on).toHaveProperty('workflow_dispatch');
  });

  it.each(platformConfig.environments.map((env) => env.name))('deploy-%s runs deploy-shared before its own (exclusive) stack deploy', (name) => {
    const { jobs } = workflows[`deploy-${name}.yml`];
    expect(jobs.shared?.uses).toBe('./.github/workflows/deploy-shared.yml');
    expect([jobs.deploy.needs].flat()).toEqual(expect.arrayContaining(['build-scan', 'shared']));
    // No other job of the delivery deploys the shared stacks: every stack deploy goes through deploy:stacks, which
    // always deploys --exclusively (the shared stacks only with --shared).
    const deployCommands = Object.values(jobs).flatMap(effectiveJobs).flatMap(runs);
    expect(deployCommands.filter((run) => run.startsWith('npx cdk'))).toEqual([]);
    expect(deployCommands.filter((run) => run.startsWith('npm run deploy:stacks ')).sort()).toEqual(
      [
        'npm run deploy:stacks -- --config "$PLATFORM_CONFIG" --env "$ENVIRONMENT" --outputs-file cdk-outputs.json',
        'npm run deploy:stacks -- --config "$PLATFORM_CONFIG" --shared',
      ].sort(),
    );
    for (const [config, env] of Object.values(CONFIGURATIONS).flatMap((c) => c.environments.map((e) => [c, e] as const))) {
      const stacks = environmentDeliveryStackNames(config, env);
      expect(stacks.slice(-2)).toEqual([names.environmentStack(config, env), names.runnerStack(config, env)]);
      expect(stacks.filter((stack) => sharedStackNames(config).includes(stack))).toEqual([]);
    }
  });
});

describe('the configuration deployed: repository variable PLATFORM_CONFIG, passed by every synth, stack deploy, deploy and diff', () => {
  const CONFIGURED = "${{ vars.PLATFORM_CONFIG || 'default' }}";
  /** Steps that read the platform configuration (each entry point takes --config; npm run synth without it is the default). */
  const configured = /^npm run (synth|deploy|deploy:stacks|deploy:built|images:plan|diff|image:platforms|render|export:helm)( |$)/;

  it('names a configuration that exists, defaulting to "default"', () => {
    expect(Object.keys(CONFIGURATIONS)).toContain(DEFAULT_CONFIGURATION);
    expect(DEFAULT_CONFIGURATION).toBe('default');
  });

  it('every step of a delivery workflow passes --config "$PLATFORM_CONFIG", and the workflow defines it from the repository variable', () => {
    const checked: string[] = [];
    for (const { wf, name, job } of allJobs()) {
      if (wf.file === 'ci.yml' && name !== 'review-diff') continue; // the checks synthesize every configuration by name (below)
      for (const run of runs(job).filter((r) => configured.test(r))) {
        const where = `${wf.file}#${name}: ${run}`;
        expect([where, /^npm run [a-z:-]+ -- --config "\$PLATFORM_CONFIG"( |$)/.test(run)]).toEqual([where, true]);
        expect([where, (wf as unknown as { env?: Dict }).env?.PLATFORM_CONFIG]).toEqual([where, CONFIGURED]);
        checked.push(where);
      }
    }
    // build-scan (image plan, platforms, IaC scan), deploy (stacks, deploy command), deploy-shared, the review diff.
    expect(checked).toHaveLength(7);
    expect(
      Object.values(workflows)
        .flatMap((wf) => Object.values(wf.jobs).flatMap(runs))
        .filter((run) => /^npx cdk|(^| )cdk deploy/.test(run)),
    ).toEqual([]);
  });

  it('CI checks every configuration: synth (cdk-nag) and cfn-lint of each', () => {
    const checks = runs(workflows['ci.yml'].jobs.checks);
    for (const name of SYNTHESIZED_CONFIGURATIONS) {
      const [synth, lint] = name === DEFAULT_CONFIGURATION ? ['npm run synth', 'npm run lint:cfn'] : [`npm run synth -- --config ${name}`, `npm run lint:cfn -- cdk.out.${name}`];
      expect([name, checks.includes(synth), checks.includes(lint)]).toEqual([name, true, true]);
    }
  });

  it.each(Object.keys(CONFIGURATIONS))('deploy:stacks passes "%s" to the CDK app and deploys --exclusively', (name) => {
    for (const env of CONFIGURATIONS[name].environments) {
      const cdk = deployStacksCommand(['--config', name, '--env', env.name, '--outputs-file', 'cdk-outputs.json']);
      expect(cdk).toEqual([
        'deploy',
        '-c',
        `config=${name}`,
        '--exclusively',
        '--require-approval',
        'never',
        '--outputs-file',
        'cdk-outputs.json',
        ...environmentDeliveryStackNames(CONFIGURATIONS[name], env),
      ]);
    }
  });

  it('deploy:stacks refuses what it cannot deploy, naming what is allowed', () => {
    expect(() => deployStacksCommand(['--env', 'qa'])).toThrow('unknown environment "qa" in configuration "default"; allowed: "dev", "staging", "prod"');
    expect(() => deployStacksCommand(['--config', 'nope', '--shared'])).toThrow(/unknown configuration "nope"; allowed: "default", "multi-account"/);
    expect(() => deployStacksCommand(['--env', 'dev', '--shared'])).toThrow(/exactly one of --env <name> and --shared/);
    expect(() => deployStacksCommand([])).toThrow(/exactly one of --env <name> and --shared/);
    expect(() => deployStacksCommand(['--shared', 'platform-dev'])).toThrow(/Unexpected argument 'platform-dev'/);
  });
});

describe('docs/first-deployment.md: the one-time first deployment', () => {
  const section = readFileSync(join(root, 'docs', 'first-deployment.md'), 'utf8');

  it('bootstraps every region the platform uses, then deploys the shared stacks with the command deploy-shared.yml runs', () => {
    expect(section.length).toBeGreaterThan(500);
    const regions = new Set([platformConfig.identity.region, ...platformConfig.environments.map((env) => env.region)]);
    const bootstrap = section.split('\n').find((line) => line.includes('cdk bootstrap')) ?? '';
    for (const region of regions) expect(bootstrap).toContain(`aws://<account>/${region}`);
    // The command deploy-shared.yml runs, with the default configuration.
    const [sharedCommand] = runs(workflows['deploy-shared.yml'].jobs.deploy)
      .filter((run) => run.startsWith('npm run deploy:stacks '))
      .map((run) => run.replace('"$PLATFORM_CONFIG"', DEFAULT_CONFIGURATION));
    expect(sharedCommand).toBe('npm run deploy:stacks -- --config default --shared');
    expect(section).toContain(sharedCommand);
    expect(section.indexOf('cdk bootstrap')).toBeLessThan(section.indexOf(sharedCommand));
  });

  it('covers GitHub setup, DNS and what to check after the first deploy', () => {
    for (const words of ['sharedDeployRoleArn', 'imagePushRoleArn', 'hosted zone', 'external-dns', 'dig ', 'After the first deploy']) expect(section).toContain(words);
  });
});

describe('thin workflows', () => {
  const allowed = [/^npm ci( --ignore-scripts)?( --no-audit --no-fund)?$/, /^npm test$/, /^npm run ([a-z0-9:-]+)( -- .*)?$/, /^bash (scripts|\.ci)\/[a-z0-9-]+\.sh$/];

  it('every run: step is one npm script or project command', () => {
    for (const { wf, name, job } of allJobs()) {
      for (const run of runs(job)) {
        const where = `${wf.file}#${name}: ${run}`;
        expect([where, run.includes('\n'), /&&|\|\||;|\|/.test(run)]).toEqual([where, false, false]);
        expect([where, allowed.some((pattern) => pattern.test(run))]).toEqual([where, true]);
        const script = /^npm run ([a-z0-9:-]+)/.exec(run)?.[1];
        if (script) expect([where, packageScripts.includes(script)]).toEqual([where, true]);
      }
    }
  });

  it('the deploy step execs the deploy command, so a cancelled run signals the deploy itself (it cleans up: deploy/README.md#cancelling-a-deploy)', () => {
    const deploySteps = allJobs().flatMap(({ job }) => steps(job).flatMap((step) => (step.run?.includes('npm run deploy:built') ? [step.run.trim()] : [])));
    expect(deploySteps.length).toBeGreaterThan(0);
    for (const run of deploySteps) expect(run).toMatch(/^exec npm run deploy:built -- /);
  });

  it('CI runs the same checks as .ci/run', () => {
    const ci = Object.values(workflows['ci.yml'].jobs).flatMap(runs);
    // Commands with arguments (the other configurations' synth and cfn-lint) run as a matrix here: tested apart.
    const checks = ciRunChecks().filter((c) => !c.includes(' -- '));
    expect(checks).toEqual(expect.arrayContaining(['npm run typecheck', 'npm test', 'npm run scan:misconfig', 'npm run test:e2e']));
    for (const check of checks) {
      expect(ci).toContain(check);
    }
    const e2e = workflows['ci.yml'].jobs.e2e;
    const cache = steps(e2e).find((step) => step.uses?.startsWith('actions/cache@'));
    expect(String(cache?.with?.path)).toContain('~/.cache/platform-k8s');
    expect(String(cache?.with?.key)).toContain("hashFiles('cluster/versions.env'");
  });
});

describe('review on pull requests', () => {
  const { jobs } = workflows['ci.yml'];
  const diff = jobs['review-diff'];
  const comment = jobs['review-comment'];

  it("the diff job runs on pull requests with a read-only token: base = the merge commit's first parent", () => {
    expect(diff.if).toBe("github.event_name == 'pull_request'");
    expect(permissionsOf(diff)).toEqual({}); // the workflow default: contents: read
    expect(workflows['ci.yml'].permissions).toEqual({ contents: 'read' });
    const checkout = steps(diff).find((step) => step.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with).toEqual({ 'persist-credentials': false, 'fetch-depth': 2 });
    expect(runs(diff)).toContain('npm run diff -- --config "$PLATFORM_CONFIG" --base HEAD^1 --markdown review-diff.md');
  });

  it('the full review is an artifact; the job summary and the comment link to it', () => {
    const upload = steps(diff).find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload).toMatchObject({ id: 'artifact', with: { name: 'review-diff', path: 'review-diff.md' } });
    expect(diff.outputs).toEqual({ 'artifact-url': '${{ steps.artifact.outputs.artifact-url }}' });
    const summary = steps(diff).find((step) => step.run?.startsWith('npm run diff:publish'));
    expect(summary?.run).toBe('npm run diff:publish -- --markdown review-diff.md --artifact-url "$ARTIFACT_URL" --summary');
    expect(summary?.env).toEqual({ ARTIFACT_URL: '${{ steps.artifact.outputs.artifact-url }}' });
    const names = steps(diff).map((step) => step.uses?.split('@')[0] ?? step.run);
    expect(names.indexOf('actions/upload-artifact')).toBeGreaterThan(names.indexOf('npm run diff -- --config "$PLATFORM_CONFIG" --base HEAD^1 --markdown review-diff.md'));
  });

  it('the comment job takes the artifact of the diff job and updates the one comment, synthesizing nothing', () => {
    expect([comment.needs].flat()).toEqual(['review-diff']);
    expect(comment.if).toBe("github.event_name == 'pull_request'");
    const download = steps(comment).find((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toEqual({ name: 'review-diff' });
    const publish = steps(comment).find((step) => step.run?.startsWith('npm run diff:publish'));
    expect(publish?.run).toBe('npm run diff:publish -- --markdown review-diff.md --artifact-url "$ARTIFACT_URL" --comment');
    expect(publish?.env).toEqual({ ARTIFACT_URL: '${{ needs.review-diff.outputs.artifact-url }}', GITHUB_TOKEN: '${{ github.token }}' });
    expect(runs(comment).some((run) => /npm run (diff|synth) /.test(`${run} `))).toBe(false);
  });
});
