import { WORKLOAD_OUTPUT_FIELDS, environmentStackName, platformConfig, readWorkloadOutputs } from '../../config';
import { DEFAULT_LAMBDA_CODE_DIR } from '../../infra/app';
import { join } from 'node:path';
import { platform, ROOT } from './helpers';

const p = platform();

describe('infra app', () => {
  test('synthesizes every environment stack and the shared stacks', () => {
    expect(p.stackNames.sort()).toEqual(
      ['platform-dev', 'platform-github', 'platform-identity', 'platform-prod', 'platform-shared-eu-central-1', 'platform-shared-eu-west-1', 'platform-staging'].sort(),
    );
  });

  test('cdk-nag (AwsSolutions) and the EKS checks leave zero unacknowledged findings across all stacks', () => {
    expect(p.findings).toEqual([]);
  });

  test('every acknowledgement in the report carries a reason', () => {
    const report = JSON.parse(require('node:fs').readFileSync(join(p.dir, 'validation-report.json'), 'utf8'));
    const json = JSON.stringify(report);
    expect(json).not.toContain('"reason":""');
  });

  test.each(platformConfig.environments.map((e) => e.name))('stack of %s emits one output per WorkloadOutputs field, keyed by the field name', (name) => {
    const stackName = environmentStackName(platformConfig.project, name);
    const outputs = p.json(stackName).Outputs as Record<string, unknown>;
    expect(Object.keys(outputs).sort()).toEqual([...WORKLOAD_OUTPUT_FIELDS].sort());
    // What `cdk deploy --outputs-file` would write for it (values stand in for the deployed ones).
    const written = { [stackName]: Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((f) => [f, `value-of-${f}`])) };
    expect(readWorkloadOutputs(written, stackName).certificateArn).toBe('value-of-certificateArn');
  });

  test('the Lambda bundle is read from dist/lambda by default', () => {
    expect(DEFAULT_LAMBDA_CODE_DIR).toBe(join(ROOT, 'dist', 'lambda'));
  });
});
