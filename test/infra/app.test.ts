import { WORKLOAD_OUTPUT_FIELDS, environmentStackName, platformConfig, readWorkloadOutputs } from '../../config';
import { DEFAULT_LAMBDA_CODE_DIR } from '../../infra/app';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platform, ROOT } from './helpers';

const p = platform();

describe('infra app', () => {
  test('synthesizes every environment stack and the shared stacks', () => {
    expect(p.stackNames.sort()).toEqual(
      [
        'platform-dev',
        'platform-dev-runner',
        'platform-github',
        'platform-identity',
        'platform-prod',
        'platform-prod-runner',
        'platform-shared-eu-central-1',
        'platform-shared-eu-west-1',
        'platform-staging',
        'platform-staging-runner',
      ].sort(),
    );
  });

  test('cdk-nag (AwsSolutions) and the EKS checks leave zero unacknowledged findings across all stacks', () => {
    expect(p.findings).toEqual([]);
  });

  test('every cdk-nag acknowledgement sits below the stack (on a construct) and gives a specific reason', () => {
    const acknowledgements = p.stackNames.flatMap((stack) => {
      const metadata = JSON.parse(readFileSync(join(p.dir, `${stack}.metadata.json`), 'utf8')) as Record<string, { type: string; data: Record<string, string> }[]>;
      return Object.entries(metadata).flatMap(([path, entries]) =>
        entries.filter((e) => e.type === 'aws:cdk:acknowledged-rules').flatMap((e) => Object.entries(e.data).map(([id, reason]) => ({ path, id, reason }))),
      );
    });
    const nag = acknowledgements.filter((a) => a.id.includes('AwsSolutions-'));
    expect(nag.length).toBeGreaterThan(20);
    for (const a of nag) {
      expect({ path: a.path, depth: a.path.split('/').length > 2 }).toEqual({ path: a.path, depth: true });
      expect(a.reason.length).toBeGreaterThan(30);
    }
  });

  test.each(platformConfig.environments.map((e) => e.name))('stack of %s emits one output per WorkloadOutputs field, keyed by the field name', (name) => {
    const stackName = environmentStackName(platformConfig.project, name);
    const outputs = p.json(stackName).Outputs as Record<string, unknown>;
    // Plus the master secret's ARN for administrators, which is not part of the workload contract.
    // Besides them: the master secret's ARN (administrators) and what the runner stack reads (Runner*).
    expect(
      Object.keys(outputs)
        .filter((key) => !key.startsWith('Runner'))
        .sort(),
    ).toEqual([...WORKLOAD_OUTPUT_FIELDS, 'DatabaseMasterSecretArn'].sort());
    // What `cdk deploy --outputs-file` would write for it (values stand in for the deployed ones).
    const written = { [stackName]: Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((f) => [f, `value-of-${f}`])) };
    expect(readWorkloadOutputs(written, stackName).certificateArn).toBe('value-of-certificateArn');
  });

  test('the Lambda bundle is read from dist/lambda by default', () => {
    expect(DEFAULT_LAMBDA_CODE_DIR).toBe(join(ROOT, 'dist', 'lambda'));
  });
});
