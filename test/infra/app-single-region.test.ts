/** Prod in the same region as dev and staging (the configuration allows it): one shared regional stack, no replication, no cross-region references. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PlatformConfig, platformConfig, validatePlatformConfig } from '../../config';
import { readFindings, synthInfra } from '../../infra/app';
import { LAMBDA_FIXTURE, withPublicHost } from './helpers';

const config: PlatformConfig = validatePlatformConfig({
  ...platformConfig,
  certificates: { 'eu-west-1': platformConfig.certificates['eu-west-1'] },
  environments: platformConfig.environments.map((env) =>
    env.name === 'prod' ? { ...env, region: 'eu-west-1', workloads: withPublicHost(env.workloads, 'app.eu-west-1.example.com') } : env,
  ),
});
const outdir = mkdtempSync(join(tmpdir(), 'infra-single-region-'));
const result = synthInfra(config, { outdir, lambdaCodeDir: LAMBDA_FIXTURE, databaseRoleCodeDir: LAMBDA_FIXTURE });
const template = (name: string) => JSON.parse(readFileSync(join(outdir, `${name}.template.json`), 'utf8'));
const types = (name: string) => Object.values(template(name).Resources as Record<string, { Type: string }>).map((r) => r.Type);

describe('all environments in one region', () => {
  test('one shared regional stack', () => {
    expect(result.stacks.map((s) => s.stackName).sort()).toEqual([
      'platform-dev',
      'platform-dev-runner',
      'platform-github',
      'platform-identity',
      'platform-prod',
      'platform-prod-runner',
      'platform-shared-eu-west-1',
      'platform-staging',
      'platform-staging-runner',
    ]);
  });

  test('no ECR replication and no cross-region reference custom resources', () => {
    expect(types('platform-shared-eu-west-1')).not.toContain('AWS::ECR::ReplicationConfiguration');
    expect(types('platform-prod')).not.toContain('Custom::CrossRegionExportReader');
    expect(types('platform-identity')).not.toContain('Custom::CrossRegionExportWriter');
  });

  test('zero unacknowledged findings', () => {
    expect(result.unacknowledgedFindings).toBe(0);
    expect(readFindings(outdir)).toEqual([]);
  });
});
