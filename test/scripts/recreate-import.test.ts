/**
 * Recreating a deleted production stack: the import plan (`npm run recreate:import`) adopts exactly the resources a
 * delete keeps under a fixed name (the eight service-named log groups; the CodeBuild runner's log group is in the runner stack, under a generated name), with the identifiers CloudFormation's resource
 * import needs, so the create meets no "already exists". moto_server cannot check it: its IMPORT change set creates
 * the resources instead of adopting them. Non-production stacks need no import (test/infra/teardown.test.ts).
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentStackName, platformConfig } from '../../config';
import { importPlan, UsageError, writeImportPlan } from '../../scripts/recreate-import';
import { platform } from '../infra/helpers';

const stack = (env: string) => environmentStackName(platformConfig.project, env);

test('production: the eight log groups whose names EKS, RDS, Container Insights and Lambda fix, and nothing else', () => {
  const plan = importPlan(platform().json(stack('prod')) as never);
  const names = plan.resourcesToImport.map((r) => r.ResourceIdentifier.LogGroupName).sort();
  expect(names).toEqual(
    [
      '/aws/containerinsights/platform-prod/application',
      '/aws/containerinsights/platform-prod/dataplane',
      '/aws/containerinsights/platform-prod/host',
      '/aws/containerinsights/platform-prod/performance',
      '/aws/eks/platform-prod/cluster',
      '/aws/lambda/platform-prod-api',
      '/aws/rds/instance/platform-prod/postgresql',
      '/aws/rds/instance/platform-prod/upgrade',
    ].sort(),
  );
  for (const entry of plan.resourcesToImport) {
    expect(entry.ResourceType).toBe('AWS::Logs::LogGroup');
    // Same logical ID as the full template, so the deploy after the import updates them instead of creating others.
    const full = platform().json(stack('prod')).Resources[entry.LogicalResourceId];
    expect(full.Properties.LogGroupName).toBe(entry.ResourceIdentifier.LogGroupName);
    // Every imported resource needs a DeletionPolicy; nothing it references (the key) exists in the new stack yet.
    expect(plan.template.Resources[entry.LogicalResourceId]).toEqual({
      Type: 'AWS::Logs::LogGroup',
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: { LogGroupName: entry.ResourceIdentifier.LogGroupName },
    });
  }
});

test.each(['dev', 'staging'])('%s: nothing to import', (env) => {
  expect(importPlan(platform().json(stack(env)) as never).resourcesToImport).toEqual([]);
});

test('the command writes both files and prints the change-set commands; bad input names what is allowed', () => {
  // writeImportPlan reads <root>/cdk.out/<stack>.template.json: a root whose cdk.out is the synthesized assembly.
  const fakeRoot = mkdtempSync(join(tmpdir(), 'recreate-'));
  const out = join(fakeRoot, 'plan');
  symlinkSync(platform().dir, join(fakeRoot, 'cdk.out'));
  const lines = writeImportPlan(['--env', 'prod', '--out', out], fakeRoot);
  expect(lines[0]).toMatch(/^platform-prod: 8 kept resources with fixed names/);
  expect(lines[1]).toContain('--change-set-type IMPORT');
  expect(lines[1]).toContain('--region eu-central-1');
  expect(JSON.parse(readFileSync(join(out, 'resources-to-import.json'), 'utf8'))).toHaveLength(8);
  expect(Object.keys(JSON.parse(readFileSync(join(out, 'import-template.json'), 'utf8')).Resources)).toHaveLength(8);
  expect(writeImportPlan(['--env', 'dev', '--out', out], fakeRoot)).toEqual(['platform-dev: no kept resource has a fixed name; deploy it again as usual']);
  expect(() => writeImportPlan(['--env', 'qa'], fakeRoot)).toThrow(UsageError);
  expect(() => writeImportPlan(['--env', 'qa'], fakeRoot)).toThrow('unknown environment "qa"; allowed: "dev", "staging", "prod"');
  expect(() => writeImportPlan(['--env', 'prod'], join(fakeRoot, 'nonexistent'))).toThrow(/cdk\.out\/platform-prod\.template\.json is missing; run "npm run synth" first/);
});
