/**
 * Adding a workload is one entry in config (issue 21, infra part): the shipped configuration plus an internal
 * service `ledger` (its own schema, read-only on its own storage prefix, called by `web`) in every environment. The
 * infra picks it up without any other change: its Pod Identity role and association, its database role, its
 * read-only storage grant, its alarms; the outputs still validate, and nothing the sample had changes.
 */
import { environmentStackName, platformConfig, type PlatformConfig, readWorkloadOutputs, type ServiceWorkload, WORKLOAD_OUTPUT_FIELDS } from '../../config';
import { platform, resourcesOfType, synthesizeConfig } from './helpers';
import { alarmsById, databaseRoles, declaredAlarmIds, declaredGrants, ENVIRONMENT_ALARM_IDS, podGrants, podIdentity, podRoleId } from './workload-grants';

const ledger = (production: boolean): ServiceWorkload => ({
  kind: 'service',
  name: 'ledger',
  image: 'app',
  exposure: { kind: 'internal' },
  minReplicas: production ? 2 : 1,
  maxReplicas: 3,
  cpuMillis: 100,
  memoryMiB: 128,
  database: { ownSchema: true },
  storage: { prefix: 'ledger/', access: 'read' },
  allowFrom: ['web'],
});

/** The shipped configuration with one more entry in each environment's `workloads`. */
const withLedger: PlatformConfig = {
  ...platformConfig,
  environments: platformConfig.environments.map((env) => ({ ...env, workloads: [...env.workloads, ledger(env.production)] })),
};

const assembly = synthesizeConfig(withLedger, 'add-workload');
const { project } = platformConfig;

describe.each(withLedger.environments.map((e) => [e.name, e] as const))('%s with ledger', (name, env) => {
  const stackName = environmentStackName(project, name);
  const json = assembly.json(stackName);
  const shipped = platform().json(stackName);
  const workload = env.workloads.find((w) => w.name === 'ledger')!;

  test('its own Pod Identity role, bound to ServiceAccount <namespace>/ledger', () => {
    expect(podIdentity(json, 'ledger')).toEqual({ namespace: env.namespace, serviceAccount: 'ledger', role: podRoleId(json, 'ledger') });
  });

  test('its storage grant is read-only on "ledger/" and its database login is its own user', () => {
    const grants = podGrants(json, 'ledger')!;
    expect(grants.sort(byText)).toEqual(declaredGrants(json, env, workload).sort(byText));
    const actions = grants.flatMap((g) => g.actions);
    expect(actions).toContain('s3:GetObject');
    expect(actions).not.toContain('s3:PutObject');
    expect(actions).not.toContain('s3:DeleteObject');
    expect(actions).not.toContain('kms:GenerateDataKey');
  });

  test('its own database role, owner of schema "ledger", beside the sample roles', () => {
    const roles = databaseRoles(json);
    expect(roles.get('ledger')!.properties).toMatchObject({ RoleName: 'ledger', SchemaName: 'ledger', Grants: '[]' });
    expect([...roles.keys()].sort()).toEqual(['ledger', 'prune', 'web', 'worker']);
  });

  test('its alarms: latency and restarts (a service), on the environment topic', () => {
    const alarms = alarmsById(json, project, env);
    expect(declaredAlarmIds(workload)).toEqual(['LedgerLatencyP99', 'LedgerRestarts']);
    expect([...alarms.keys()].sort()).toEqual([...ENVIRONMENT_ALARM_IDS, ...env.workloads.flatMap(declaredAlarmIds)].sort());
    const [[topic]] = resourcesOfType(json, 'AWS::SNS::Topic');
    for (const id of declaredAlarmIds(workload)) expect(alarms.get(id)!.AlarmActions).toEqual([{ Ref: topic }]);
  });

  test("the sample's roles, policies, associations and database roles are unchanged", () => {
    const sampleTypes = ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::EKS::PodIdentityAssociation', 'Custom::DatabaseRole'];
    for (const sample of ['web', 'worker', 'prune']) {
      for (const type of sampleTypes) {
        const of = (template: Record<string, any>) =>
          resourcesOfType(template, type).filter(([id, r]) =>
            type === 'Custom::DatabaseRole' ? r.Properties.RoleName === sample : id.startsWith(`${sample[0].toUpperCase()}${sample.slice(1)}Pod`),
          );
        expect(of(json)).toEqual(of(shipped));
      }
    }
  });

  test('the outputs still validate: one per WorkloadOutputs field, read back by readWorkloadOutputs', () => {
    const outputs = Object.keys(json.Outputs).filter((key) => !key.startsWith('Runner'));
    expect(outputs.sort()).toEqual([...WORKLOAD_OUTPUT_FIELDS, 'DatabaseMasterSecretArn'].sort());
    // The workload contract's output values are those of the shipped configuration (ledger adds none).
    for (const field of WORKLOAD_OUTPUT_FIELDS) expect(json.Outputs[field]).toEqual(shipped.Outputs[field]);
    const written = { [stackName]: Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((f) => [f, `value-of-${f}`])) };
    expect(readWorkloadOutputs(written, stackName).namespace).toBe('value-of-namespace');
  });
});

test('cdk-nag has no unacknowledged finding with the added workload', () => {
  expect(assembly.findings).toEqual([]);
});

const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
