/**
 * The infra of each declared workload (issue 21), read from the shipped configuration's templates: its own Pod
 * Identity role with exactly its storage prefix and database user, its own database role with the declared grants,
 * the alarms its kind calls for. The expectations come from the declarations (config/platform.ts), so a change
 * to the sample changes what is checked, never whether it is.
 */
import { databaseRoleName, environmentStackName, platformConfig } from '../../config';
import { platform } from './helpers';
import { alarmsById, databaseRoles, declaredAlarmIds, declaredGrants, ENVIRONMENT_ALARM_IDS, podGrants, podIdentity, podRoleId } from './workload-grants';

const { project } = platformConfig;
const cases = platformConfig.environments.flatMap((env) => env.workloads.map((w) => [env.name, w.name, env, w] as const));

describe('per-workload least privilege', () => {
  test('the sample declares web (storage and database), worker and prune (database only) in every environment', () => {
    for (const env of platformConfig.environments) {
      expect(env.workloads.map((w) => [w.name, w.kind, w.storage?.access, w.database !== undefined])).toEqual([
        ['web', 'service', 'readWrite', true],
        ['worker', 'worker', undefined, true],
        ['prune', 'cronJob', undefined, true],
      ]);
    }
  });

  test.each(cases)("%s/%s: its role's policy allows exactly its own storage prefix and its own database user", (env, _name, config, workload) => {
    const json = platform().json(environmentStackName(project, env));
    expect(podGrants(json, workload.name)?.sort(byText)).toEqual(declaredGrants(json, config, workload).sort(byText));
  });

  test.each(cases)('%s/%s: its Pod Identity association binds namespace/ServiceAccount = <namespace>/<workload> to its own role', (env, name, config) => {
    const json = platform().json(environmentStackName(project, env));
    expect(podIdentity(json, name)).toEqual({ namespace: config.namespace, serviceAccount: name, role: podRoleId(json, name) });
  });
});

describe('database roles', () => {
  test.each(platformConfig.environments.map((e) => [e.name, e] as const))('%s: one Custom::DatabaseRole per workload with database access, as declared', (env, config) => {
    const roles = databaseRoles(platform().json(environmentStackName(project, env)));
    const withDatabase = config.workloads.filter((w) => w.database);
    expect([...roles.keys()].sort()).toEqual(withDatabase.map((w) => databaseRoleName(w.name)).sort());
    expect(Object.fromEntries([...roles].map(([name, r]) => [name, { SchemaName: r.properties.SchemaName, Grants: JSON.parse(r.properties.Grants) }]))).toEqual({
      web: { SchemaName: 'web', Grants: [] },
      worker: { SchemaName: '', Grants: [{ schema: 'web', access: 'readWrite' }] },
      prune: { SchemaName: '', Grants: [{ schema: 'web', access: 'readWrite' }] },
    });
  });

  test.each(platformConfig.environments.map((e) => [e.name] as const))('%s: the grantees depend on the owner of the schema they are granted', (env) => {
    const roles = databaseRoles(platform().json(environmentStackName(project, env)));
    const owner = roles.get('web')!;
    expect(owner.dependsOn.filter((d) => [...roles.values()].some((r) => r.id === d))).toEqual([]);
    for (const grantee of ['worker', 'prune']) expect(roles.get(grantee)!.dependsOn).toContain(owner.id);
  });
});

describe('alarms fit the kind', () => {
  test.each(platformConfig.environments.map((e) => [e.name, e] as const))('%s: Ingress alarms once, then per workload by kind, all on the environment topic', (env, config) => {
    const json = platform().json(environmentStackName(project, env));
    const alarms = alarmsById(json, project, config);
    expect([...alarms.keys()].sort()).toEqual([...ENVIRONMENT_ALARM_IDS, ...config.workloads.flatMap(declaredAlarmIds)].sort());
    const topics = Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    for (const alarm of alarms.values()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topics[0][0] }]);
      expect(alarm.OKActions).toEqual([{ Ref: topics[0][0] }]);
    }
  });

  test.each(cases)("%s/%s: its alarms watch its own pods or logs in the environment's namespace", (env, name, config, workload) => {
    const json = platform().json(environmentStackName(project, env));
    const alarms = alarmsById(json, project, config);
    for (const id of declaredAlarmIds(workload)) {
      const alarm = alarms.get(id)!;
      if (id.endsWith('Restarts')) {
        expect(alarm.Dimensions ?? alarm.Metrics?.[0]?.MetricStat?.Metric?.Dimensions).toEqual(
          expect.arrayContaining([
            { Name: 'Namespace', Value: config.namespace },
            { Name: 'PodName', Value: name },
          ]),
        );
      } else {
        // A log metric: its filter selects the workload's container in the namespace.
        const metricName = alarm.MetricName ?? alarm.Metrics?.[0]?.MetricStat?.Metric?.MetricName;
        const filters = Object.values(json.Resources as Record<string, any>).filter(
          (r) => r.Type === 'AWS::Logs::MetricFilter' && r.Properties.MetricTransformations[0].MetricName === metricName,
        );
        expect(filters).toHaveLength(1);
        expect(filters[0].Properties.FilterPattern).toContain(`($.kubernetes.namespace_name = "${config.namespace}")`);
        expect(filters[0].Properties.FilterPattern).toContain(`($.kubernetes.container_name = "${name}")`);
      }
    }
  });
});

const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
