/**
 * `npm run deploy:stacks` before and around `cdk deploy` (issue 23):
 * - item 3: a protected stack never created successfully is deployed without its protections (context `creating`)
 *   and, once created, deployed again with them; a failed first create is simply run again. The stacks' state comes
 *   from CloudFormation DescribeStacks against moto_server (moto 5.2 implements neither UpdateTerminationProtection
 *   nor a rollback, so termination protection is the CLI's, driven by the synthesized stack; see first-create.test.ts);
 * - item 7: the runner stack is refused (exit 2, with the step to take) without CodeBuild's GitHub source credential in
 *   the environment's account and region. moto 5.2 does not implement CodeBuild ListSourceCredentials (it answers
 *   500), so a local HTTP endpoint gives the SDK a stubbed CodeBuild response and records the request;
 * - item 9: every environment stack gets a new SharedValuesNonce on each run.
 * `cdk` itself is a recorded stand-in (a command runner, not an AWS API): it returns the exit code the case needs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFormationClient, CreateChangeSetCommand, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { deployStacksMain, planDeployStacks, runDeployStacks, UsageError, type AwsClients } from '../../scripts/deploy-stacks';
import { classifyStackStatus, readStackState } from '../../scripts/stack-state';
import { motoForThisFile } from '../support/moto';

jest.setTimeout(60_000);

const moto = motoForThisFile();
const TEMPLATE = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });

/** A stand-in for CodeBuild's JSON API: answers ListSourceCredentials with `infos`, records each request's target and region. */
interface CodeBuildStub {
  readonly endpoint: string;
  readonly requests: { target: string; region: string }[];
  infos: { serverType: string; authType: string; arn: string }[];
  close(): Promise<void>;
}

async function codeBuildStub(): Promise<CodeBuildStub> {
  const requests: { target: string; region: string }[] = [];
  const stub = { requests, infos: [] as CodeBuildStub['infos'] } as CodeBuildStub & { infos: CodeBuildStub['infos'] };
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/codebuild\//.exec(String(req.headers.authorization))?.[1] ?? '?';
      requests.push({ target: String(req.headers['x-amz-target']), region });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ sourceCredentialsInfos: stub.infos }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(stub, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let codebuild: CodeBuildStub;
const GITHUB = { serverType: 'GITHUB', authType: 'CODECONNECTIONS', arn: 'arn:aws:codebuild:eu-west-1:123456789012:token/github' };

beforeAll(async () => {
  codebuild = await codeBuildStub();
});
afterAll(async () => {
  await codebuild?.close();
});

const cfn = (region: string) => new CloudFormationClient({ region, endpoint: moto().endpoint });
const clients = (): AwsClients => ({ cloudFormation: cfn, codeBuild: (region) => new CodeBuildClient({ region, endpoint: codebuild.endpoint, maxAttempts: 1 }) });

/** Runs the command with cdk answering `statuses` in turn; returns the exit code and each cdk command line. */
async function run(argv: string[], statuses: number[] = [0, 0], nonce = 'nonce-1'): Promise<{ code: number; cdk: string[][]; log: string[] }> {
  const cdk: string[][] = [];
  const log: string[] = [];
  const code = await runDeployStacks(planDeployStacks(argv), {
    aws: clients(),
    cdk: (args) => (cdk.push(args), statuses[cdk.length - 1] ?? 0),
    nonce,
    log: (line) => log.push(line),
  });
  return { code, cdk, log };
}

const contextOf = (args: string[]) => args.filter((_a, i) => args[i - 1] === '-c');
const stacksOf = (args: string[]) => args.filter((a, i) => /^platform-/.test(a) && !['-c', '--parameters', '--outputs-file'].includes(args[i - 1]));

async function createStack(region: string, name: string): Promise<void> {
  await cfn(region).send(new CreateStackCommand({ StackName: name, TemplateBody: TEMPLATE }));
}
async function deleteStack(region: string, name: string): Promise<void> {
  await cfn(region).send(new DeleteStackCommand({ StackName: name }));
}

describe('item 3: protections only once a stack has been created', () => {
  beforeEach(() => {
    codebuild.infos = [GITHUB];
  });

  test('first create of prod: without its protections, then once more with them', async () => {
    const { code, cdk, log } = await run(['--env', 'prod', '--outputs-file', 'cdk-outputs.json']);
    expect(code).toBe(0);
    expect(cdk).toHaveLength(2);
    // The outputs file is the first deploy's (every stack of the delivery); the second deploy leaves it alone.
    expect(cdk.map((args) => args.includes('--outputs-file'))).toEqual([true, false]);
    expect(contextOf(cdk[0])).toEqual(['config=default', 'creating=platform-prod']);
    expect(stacksOf(cdk[0])).toEqual(['platform-prod', 'platform-prod-runner']);
    expect(contextOf(cdk[1])).toEqual(['config=default']);
    expect(stacksOf(cdk[1])).toEqual(['platform-prod']);
    expect(log.join('\n')).toMatch(/first create of platform-prod/);
  });

  test('prod created already: protections on from the start, one deploy', async () => {
    await createStack('eu-central-1', 'platform-prod');
    try {
      const { code, cdk } = await run(['--env', 'prod']);
      expect(code).toBe(0);
      expect(cdk).toHaveLength(1);
      expect(contextOf(cdk[0])).toEqual(['config=default']);
    } finally {
      await deleteStack('eu-central-1', 'platform-prod');
    }
  });

  test('a failed first create is retried as a first create (no protections in the way), and only a success turns them on', async () => {
    // The failed run: cdk fails, nothing more is deployed and the failure's exit code is the command's.
    const failed = await run(['--env', 'prod'], [1]);
    expect(failed.code).toBe(1);
    expect(failed.cdk).toHaveLength(1);
    expect(contextOf(failed.cdk[0])).toContain('creating=platform-prod');
    // What a create whose change set never ran leaves behind (REVIEW_IN_PROGRESS) still counts as never created.
    await cfn('eu-central-1').send(
      new CreateChangeSetCommand({ StackName: 'platform-prod', ChangeSetName: 'cdk-deploy-change-set', ChangeSetType: 'CREATE', TemplateBody: TEMPLATE }),
    );
    try {
      const retry = await run(['--env', 'prod']);
      expect(retry.code).toBe(0);
      expect(retry.cdk.map(contextOf)).toEqual([['config=default', 'creating=platform-prod'], ['config=default']]);
    } finally {
      await deleteStack('eu-central-1', 'platform-prod');
    }
  });

  test('the second deploy that turns the protections on can fail too: its exit code is the command’s', async () => {
    const { code, cdk } = await run(['--env', 'prod'], [0, 3]);
    expect([code, cdk.length]).toEqual([3, 2]);
  });

  test('the identity stack (user pool) follows the same rule in the shared delivery', async () => {
    const first = await run(['--shared']);
    expect(first.cdk.map(contextOf)).toEqual([['config=default', 'creating=platform-identity'], ['config=default']]);
    expect(stacksOf(first.cdk[1])).toEqual(['platform-identity']);
    await createStack('eu-west-1', 'platform-identity');
    try {
      const next = await run(['--shared']);
      expect(next.cdk.map(contextOf)).toEqual([['config=default']]);
    } finally {
      await deleteStack('eu-west-1', 'platform-identity');
    }
  });

  test('a non-production environment has no protections to hold back: one deploy, no state read', async () => {
    const { cdk } = await run(['--env', 'dev']);
    expect(cdk.map(contextOf)).toEqual([['config=default']]);
  });

  test('statuses: a failed create counts as never created; ROLLBACK_FAILED and DELETE_FAILED are refused with the step that clears them', () => {
    for (const status of ['ABSENT', 'REVIEW_IN_PROGRESS', 'CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']) {
      expect([status, classifyStackStatus('platform-prod', 'eu-central-1', status).kind]).toEqual([status, 'never-created']);
    }
    for (const status of ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE']) {
      expect([status, classifyStackStatus('platform-prod', 'eu-central-1', status).kind]).toEqual([status, 'created']);
    }
    for (const status of ['ROLLBACK_FAILED', 'DELETE_FAILED']) {
      const state = classifyStackStatus('platform-prod', 'eu-central-1', status);
      expect(state).toMatchObject({ kind: 'blocked', status });
      expect(state.kind === 'blocked' && state.message).toMatch(
        new RegExp(`platform-prod \\(eu-central-1\\) is ${status}.*delete-stack --region eu-central-1 --stack-name platform-prod --retain-resources`),
      );
    }
  });

  test('DescribeStacks against moto: an absent stack, a created one', async () => {
    const log: string[] = [];
    expect(await readStackState(cfn('eu-west-1'), 'platform-nothing', (l) => log.push(l))).toEqual({ kind: 'never-created', status: 'ABSENT' });
    await createStack('eu-west-1', 'platform-something');
    try {
      expect(await readStackState(cfn('eu-west-1'), 'platform-something', (l) => log.push(l))).toEqual({ kind: 'created', status: 'CREATE_COMPLETE' });
    } finally {
      await deleteStack('eu-west-1', 'platform-something');
    }
    expect(log).toEqual([]);
  });
});

describe("item 7: the runner stack needs CodeBuild's GitHub source credential in the environment's account and region", () => {
  test('missing: refused before anything is deployed, naming the region and the step to take (exit 2)', async () => {
    codebuild.infos = [{ serverType: 'BITBUCKET', authType: 'OAUTH', arn: 'arn:aws:codebuild:eu-central-1:123456789012:token/bitbucket' }];
    codebuild.requests.length = 0;
    const attempt = run(['--env', 'prod']);
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow(
      /^platform-prod-runner needs a GitHub source credential of CodeBuild in eu-central-1 \(found: BITBUCKET\/OAUTH\).*aws codebuild import-source-credentials --region eu-central-1 --server-type GITHUB --auth-type CODECONNECTIONS --token <connection ARN>/s,
    );
    expect(codebuild.requests).toEqual([{ target: 'CodeBuild_20161006.ListSourceCredentials', region: 'eu-central-1' }]);
    // The command: exit 2, the refusal on its log, cdk never run.
    const cdk: string[][] = [];
    const log: string[] = [];
    const code = await deployStacksMain(['--env', 'prod'], { aws: clients(), cdk: (args) => (cdk.push(args), 0), log: (line) => log.push(line) });
    expect([code, cdk]).toEqual([2, []]);
    expect(log.join('\n')).toMatch(/platform-prod-runner needs a GitHub source credential/);
  });

  test('none at all: the same refusal', async () => {
    codebuild.infos = [];
    await expect(run(['--env', 'dev'])).rejects.toThrow(/platform-dev-runner needs a GitHub source credential of CodeBuild in eu-west-1 \(found: none\)/);
  });

  test('present: deployed', async () => {
    codebuild.infos = [GITHUB];
    expect((await run(['--env', 'dev'])).code).toBe(0);
  });

  test('--without-runner (the other CI systems): no runner stack, no check', async () => {
    codebuild.infos = [];
    codebuild.requests.length = 0;
    const { cdk } = await run(['--env', 'dev', '--without-runner']);
    expect(stacksOf(cdk[0])).toEqual(['platform-dev']);
    expect(codebuild.requests).toEqual([]);
  });
});

describe('item 9: environment stacks re-read the shared values on every deploy', () => {
  beforeEach(() => {
    codebuild.infos = [GITHUB];
  });

  test('every environment stack deployed gets the run’s SharedValuesNonce; the shared stacks none', async () => {
    const { cdk } = await run(['--config', 'multi-account', '--env', 'staging'], [0], 'run-42');
    const parameters = cdk[0].filter((_a, i) => cdk[0][i - 1] === '--parameters');
    expect(parameters).toEqual(['platform-staging:SharedValuesNonce=run-42']);
    const shared = await run(['--shared']);
    expect(shared.cdk.flat().filter((a) => a === '--parameters')).toEqual([]);
  });

  test('a new value on each run by default, so CloudFormation always updates the relay', async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      await runDeployStacks(planDeployStacks(['--env', 'dev']), {
        aws: clients(),
        cdk: (args) => (nonces.push(...args.filter((_a, j) => args[j - 1] === '--parameters')), 0),
        log: () => undefined,
      });
    }
    expect(nonces).toHaveLength(3);
    for (const nonce of nonces) expect(nonce).toMatch(/^platform-dev:SharedValuesNonce=[0-9a-f-]{36}$/);
    expect(new Set(nonces).size).toBe(3);
  });

  test('--print shows the plain command (no state read, no nonce)', async () => {
    let out = '';
    const code = await deployStacksMain(['--env', 'dev', '--print'], { aws: clients(), cdk: () => 99, out: (text) => (out += text) });
    expect([code, out]).toEqual([0, 'cdk deploy -c config=default --exclusively --require-approval never platform-dev platform-dev-runner\n']);
  });
});
