import {
  closestKey,
  cronScheduleProblem,
  databaseRoleSpecs,
  DEFAULT_CANARY,
  isTimeZone,
  platformConfig,
  repositoryConstructId,
  validatePlatformConfig,
  type CronJobWorkload,
  type EnvironmentConfig,
  type PlatformConfig,
  type ServiceWorkload,
  type Workload,
  type WorkerWorkload,
} from '../../config';
import { problemsOf } from './support';

const dev = platformConfig.environments.find((e) => e.name === 'dev')!;
const web = dev.workloads.find((w) => w.name === 'web') as ServiceWorkload;
const worker = dev.workloads.find((w) => w.name === 'worker') as WorkerWorkload;
const prune = dev.workloads.find((w) => w.name === 'prune') as CronJobWorkload;

/** The default configuration with dev's workloads replaced. */
function withDevWorkloads(workloads: readonly unknown[]): PlatformConfig {
  return { ...platformConfig, environments: platformConfig.environments.map((e) => (e.name === 'dev' ? ({ ...e, workloads } as EnvironmentConfig) : e)) };
}

/** Dev with one workload changed. */
function withDev(name: string, change: (w: Workload) => unknown): PlatformConfig {
  return withDevWorkloads(dev.workloads.map((w) => (w.name === name ? change(w) : w)));
}

const INTERNAL: ServiceWorkload = {
  kind: 'service',
  name: 'ledger',
  image: 'app',
  exposure: { kind: 'internal' },
  minReplicas: 1,
  maxReplicas: 2,
  cpuMillis: 50,
  memoryMiB: 64,
  allowFrom: ['web'],
};

describe('workload declarations', () => {
  test('the shipped configuration runs web, worker and prune from one image in every target', () => {
    for (const target of [...platformConfig.environments, ...platformConfig.portableTargets]) {
      expect(target.workloads.map((w) => [w.name, w.kind, w.image])).toEqual([
        ['web', 'service', 'app'],
        ['worker', 'worker', 'app'],
        ['prune', 'cronJob', 'app'],
      ]);
    }
    expect(platformConfig.images.map((i) => i.name)).toEqual(['app']);
  });

  test('accepts a fourth workload: an internal service only web may call', () => {
    expect(() => validatePlatformConfig(withDevWorkloads([...dev.workloads, INTERNAL]))).not.toThrow();
  });

  describe('unknown keys', () => {
    test('refuses a misspelled workload key, suggesting the closest known one', () => {
      const problems = problemsOf(withDev('web', (w) => ({ ...w, alowFrom: ['worker'] })));
      expect(problems).toEqual([expect.stringMatching(/^environment "dev", workload "web": alowFrom is not a known setting; did you mean "allowFrom"\? \(allowed: "kind", /)]);
    });

    test('refuses an environment key that would otherwise be ignored: a misspelling, and the single-workload key of before', () => {
      const config = (key: string) => ({ ...platformConfig, environments: platformConfig.environments.map((e) => (e.name === 'dev' ? { ...e, [key]: [] } : e)) }) as PlatformConfig;
      expect(problemsOf(config('sevices'))).toEqual([expect.stringMatching(/^environment "dev": sevices is not a known setting \(allowed: .*"workloads"/)]);
      expect(problemsOf(config('workload'))).toEqual([expect.stringContaining('environment "dev": workload is not a known setting; did you mean "workloads"?')]);
    });

    test('refuses a misspelled top-level key and nested keys (database, storage, exposure, images)', () => {
      expect(problemsOf({ ...platformConfig, imges: [] } as PlatformConfig)).toEqual([expect.stringContaining('platform: imges is not a known setting; did you mean "images"?')]);
      expect(problemsOf(withDev('web', (w) => ({ ...w, database: { ownSchem: true, ownSchema: true } })))).toEqual([
        expect.stringContaining('workload "web": database.ownSchem is not a known setting; did you mean "ownSchema"?'),
      ]);
      expect(problemsOf(withDev('web', (w) => ({ ...w, storage: { access: 'read', prefx: 'a/' } })))).toEqual([
        expect.stringContaining('storage.prefx is not a known setting; did you mean "prefix"?'),
      ]);
      expect(problemsOf(withDev('web', (w) => ({ ...w, exposure: { kind: 'public', host: 'dev.eu-west-1.example.com', hots: 'x' } })))).toEqual([
        expect.stringContaining('exposure.hots is not a known setting; did you mean "host"?'),
      ]);
      expect(problemsOf({ ...platformConfig, images: [{ ...platformConfig.images[0], dockrfile: 'x' }] } as unknown as PlatformConfig)).toEqual([
        expect.stringContaining('image "app": dockrfile is not a known setting; did you mean "dockerfile"?'),
      ]);
    });

    test("refuses a key that fits another kind (a worker's minReplicas), naming the kind's keys", () => {
      expect(problemsOf(withDev('worker', (w) => ({ ...w, minReplicas: 2 })))).toEqual([
        expect.stringMatching(/workload "worker": minReplicas is not a known setting.*"replicas"/),
      ]);
    });

    test('suggests only close keys', () => {
      expect(closestKey('alowFrom', ['allowFrom', 'image'])).toBe('allowFrom');
      expect(closestKey('zzzzzz', ['allowFrom', 'image'])).toBeUndefined();
    });
  });

  test('refuses duplicate workload names and duplicate image names', () => {
    expect(problemsOf(withDevWorkloads([...dev.workloads, { ...worker }]))).toEqual([
      'environment "dev", workload "worker": name is used twice; workload names must be unique in a target',
    ]);
    const image = platformConfig.images[0];
    expect(problemsOf({ ...platformConfig, images: [image, { ...image, repositoryName: 'platform/other' }] })).toEqual([
      'image "app": name is used twice; image names must be unique',
    ]);
  });

  test('refuses a workload running an image that is not declared', () => {
    expect(problemsOf(withDev('worker', (w) => ({ ...w, image: 'api' })))).toEqual(['environment "dev", workload "worker": image is "api"; allowed: "app"']);
  });

  test('refuses allowFrom naming a workload that does not exist, or itself', () => {
    expect(problemsOf(withDevWorkloads([...dev.workloads, { ...INTERNAL, allowFrom: ['wbe'] }]))).toEqual([
      'environment "dev", workload "ledger": allowFrom[0] is "wbe", which is no workload of this target; allowed: "web", "worker", "prune"',
    ]);
    expect(problemsOf(withDevWorkloads([...dev.workloads, { ...INTERNAL, allowFrom: ['ledger'] }]))).toEqual([expect.stringContaining('allowFrom[0] is its own name')]);
  });

  test('refuses database grants on a workload that does not exist or owns no schema, and an empty database access', () => {
    expect(problemsOf(withDev('worker', (w) => ({ ...w, database: { schemas: [{ workload: 'api', access: 'read' }] } })))).toEqual([
      'environment "dev", workload "worker": database.schemas[0].workload is "api", which is no workload of this target; allowed: "web", "prune"',
    ]);
    expect(problemsOf(withDev('worker', (w) => ({ ...w, database: { schemas: [{ workload: 'prune', access: 'read' }] } })))).toEqual([
      'environment "dev", workload "worker": database.schemas[0].workload "prune" owns no schema (its database.ownSchema is not true)',
    ]);
    expect(problemsOf(withDev('worker', (w) => ({ ...w, database: {} })))).toEqual([expect.stringContaining('database is {} without a schema')]);
    expect(problemsOf(withDev('worker', (w) => ({ ...w, database: { schemas: [{ workload: 'web', access: 'write' }] } })))).toEqual([
      'environment "dev", workload "worker": database.schemas[0].access is "write"; allowed: "read", "readWrite"',
    ]);
  });

  test('refuses a public service without a host or path, and two public services on one route', () => {
    expect([...problemsOf(withDev('web', (w) => ({ ...w, exposure: { kind: 'public' } })))].sort()).toEqual(
      [
        'environment "dev", workload "web": exposure is public without a host or path; give exposure.host (e.g. "app.example.com") and/or exposure.path (e.g. "/api")',
        'environment "dev": no public service names exposure.host; the ALB\'s sign-in (Cognito callback) needs at least one host of the environment',
      ].sort(),
    );
    const twin = { ...web, name: 'web2' };
    expect(problemsOf(withDevWorkloads([...dev.workloads, twin]))).toEqual([
      'environment "dev", workload "web2": exposure routes dev.eu-west-1.example.com/ like workload "web"; each public service needs its own host or path',
    ]);
    expect(() =>
      validatePlatformConfig(
        withDevWorkloads([...dev.workloads, { ...twin, exposure: { kind: 'public', host: web.exposure.kind === 'public' ? web.exposure.host : '', path: '/api' } }]),
      ),
    ).not.toThrow();
  });

  test('refuses a cron expression or a time zone that is not valid', () => {
    expect(problemsOf(withDev('prune', (w) => ({ ...w, schedule: '61 3 * * *' })))).toEqual([
      'environment "dev", workload "prune": schedule is "61 3 * * *"; its minute field "61" is not valid (0-59, "*", ranges, lists and "/step")',
    ]);
    expect(problemsOf(withDev('prune', (w) => ({ ...w, schedule: '0 3 * *' })))).toEqual([expect.stringContaining('expected five fields')]);
    expect(problemsOf(withDev('prune', (w) => ({ ...w, timeZone: 'Europe/Atlantis' })))).toEqual([
      'environment "dev", workload "prune": timeZone is "Europe/Atlantis"; expected an IANA time zone such as "Etc/UTC" or "Europe/Berlin"',
    ]);
  });

  test('refuses a worker or a CronJob asking for a canary (no HTTP traffic for its metrics to judge)', () => {
    const canary = { kind: 'canary', ...DEFAULT_CANARY };
    expect(problemsOf(withDev('worker', (w) => ({ ...w, release: canary })))).toEqual([
      'environment "dev", workload "worker": release.kind is "canary"; a worker serves no HTTP traffic for a canary\'s HTTP metrics to judge: allowed: "rolling"',
    ]);
    expect(problemsOf(withDev('prune', (w) => ({ ...w, release: canary })))).toEqual([
      expect.stringContaining('workload "prune": release.kind is "canary"; a CronJob serves no HTTP traffic'),
    ]);
    expect(() => validatePlatformConfig(withDev('web', (w) => ({ ...w, release: canary })))).not.toThrow();
  });

  test('refuses an environment variable the platform sets, and a production worker with one replica', () => {
    expect(problemsOf(withDev('web', (w) => ({ ...w, env: { PORT: '9000' } })))).toEqual([
      'environment "dev", workload "web": env.PORT is set by the platform; allowed: any other name',
    ]);
    const prod = platformConfig.environments.find((e) => e.name === 'prod')!;
    const config = {
      ...platformConfig,
      environments: platformConfig.environments.map((e) => (e === prod ? { ...e, workloads: e.workloads.map((w) => (w.kind === 'worker' ? { ...w, replicas: 1 } : w)) } : e)),
    };
    expect(problemsOf(config)).toEqual([expect.stringContaining('environment "prod", workload "worker": replicas is 1 in production')]);
  });

  describe('migration', () => {
    const migrating = (migration: unknown) => withDev('web', (w) => ({ ...w, migration }));

    test('the sample web service migrates its schema with a mode of its own image; a worker may declare one too', () => {
      expect(web.migration).toEqual({ command: ['/app/server.js', 'migrate'] });
      expect(() => validatePlatformConfig(withDev('worker', (w) => ({ ...w, migration: { command: ['/app/server.js', 'migrate'], timeoutSeconds: 600 } })))).not.toThrow();
    });

    test('fails when the command is missing, empty or holds anything but non-empty strings', () => {
      expect(problemsOf(migrating({ timeoutSeconds: 60 }))).toEqual(['environment "dev", workload "web": migration.command is missing; it is required']);
      expect(problemsOf(migrating({ command: [] }))).toEqual(['environment "dev", workload "web": migration.command is []; expected a non-empty list of non-empty strings']);
      expect(problemsOf(migrating({ command: ['/app/server.js', 7] }))).toEqual([
        'environment "dev", workload "web": migration.command is ["/app/server.js",7]; expected a non-empty list of non-empty strings',
      ]);
      expect(problemsOf(migrating({ command: '/app/server.js migrate' }))).toEqual([
        'environment "dev", workload "web": migration.command is "/app/server.js migrate"; expected a non-empty list of non-empty strings',
      ]);
      expect(problemsOf(migrating(['/app/server.js', 'migrate']))).toEqual([
        'environment "dev", workload "web": migration is ["/app/server.js","migrate"]; expected { command: [...], timeoutSeconds? }',
      ]);
    });

    test('fails when the timeout is out of range or not whole seconds', () => {
      for (const timeoutSeconds of [0, 9, 3601, 30.5, '300']) {
        expect(problemsOf(migrating({ command: ['migrate'], timeoutSeconds }))).toEqual([
          `environment "dev", workload "web": migration.timeoutSeconds is ${JSON.stringify(timeoutSeconds)}; expected a whole number from 10 to 3600`,
        ]);
      }
    });

    test('fails when a key is unknown (a misspelled timeout would otherwise be ignored), or a CronJob declares one', () => {
      expect(problemsOf(migrating({ command: ['migrate'], timeoutSecond: 60 }))).toEqual([
        'environment "dev", workload "web": migration.timeoutSecond is not a known setting; did you mean "timeoutSeconds"? (allowed: "command", "timeoutSeconds")',
      ]);
      expect(problemsOf(withDev('prune', (w) => ({ ...w, migration: { command: ['migrate'] } })))).toEqual([
        expect.stringMatching(/^environment "dev", workload "prune": migration is not a known setting.*\(allowed: "kind", "name"/),
      ]);
    });
  });

  test("refuses repositories whose last path segments clash (they name the repository's CloudFormation resource)", () => {
    const image = platformConfig.images[0];
    expect(problemsOf({ ...platformConfig, images: [image, { ...image, name: 'api', repositoryName: 'team/web' }] })).toEqual([
      'image "api": repositoryName "team/web" ends like "platform/web"; repositories\' last path segments must differ (they name the repository\'s CloudFormation resource)',
    ]);
    expect(repositoryConstructId(image)).toBe('WebRepository');
  });
});

describe('cronScheduleProblem', () => {
  test.each(['15 3 * * *', '*/5 * * * *', '0 0 1,15 * MON-FRI', '0 12 * JAN-MAR 0', '@daily'])('accepts %j', (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
  });

  test.each([
    ['TZ=UTC 0 3 * * *', 'set timeZone instead'],
    ['0 24 * * *', 'hour field "24"'],
    ['0 3 0 * *', 'day of month field "0"'],
    ['0 3 * 13 *', 'month field "13"'],
    ['0 3 * * 8', 'day of week field "8"'],
    ['5-1 * * * *', 'minute field "5-1"'],
    ['*/0 * * * *', 'minute field "*/0"'],
    ['@sometimes', 'expected five fields'],
  ])('refuses %j', (schedule, message) => {
    expect(cronScheduleProblem(schedule)).toContain(message);
  });

  test('time zones are IANA names', () => {
    expect(isTimeZone('Etc/UTC')).toBe(true);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('../etc/passwd')).toBe(false);
  });
});

describe('databaseRoleSpecs', () => {
  test("owners first; worker and prune get readWrite on web's schema and no schema of their own", () => {
    expect(databaseRoleSpecs(dev.workloads, 'app')).toEqual([
      { roleName: 'web', databaseName: 'app', schemaName: 'web' },
      { roleName: 'worker', databaseName: 'app', grants: [{ schema: 'web', access: 'readWrite' }] },
      { roleName: 'prune', databaseName: 'app', grants: [{ schema: 'web', access: 'readWrite' }] },
    ]);
    expect(prune.database).toBeDefined();
  });

  test('a workload without database access gets no role; a dash becomes an underscore', () => {
    const api: ServiceWorkload = { ...INTERNAL, name: 'order-api', database: { ownSchema: true } };
    expect(databaseRoleSpecs([INTERNAL, api], 'app')).toEqual([{ roleName: 'order_api', databaseName: 'app', schemaName: 'order_api' }]);
  });
});

describe.each([
  { setting: 'minReadySeconds', what: 'rollout pacing', valid: [0, 3, 300], invalid: [-1, 301, 2.5, '10'], range: 'from 0 to 300' },
  { setting: 'startupSeconds', what: "startup probe's window", valid: [10, 20, 600], invalid: [9, 601, 30.5, '60'], range: 'from 10 to 600' },
])("$setting (a service's or worker's $what)", ({ setting, valid, invalid, range }) => {
  test(`a service and a worker may declare it, ${range} whole seconds`, () => {
    for (const value of valid) {
      for (const config of [withDev('web', (w) => ({ ...w, [setting]: value })), withDev('worker', (w) => ({ ...w, [setting]: value }))]) {
        expect(validatePlatformConfig(config)).toBe(config);
      }
    }
  });

  test('fails when it is out of range or not whole seconds, naming the value', () => {
    for (const value of invalid) {
      expect(problemsOf(withDev('worker', (w) => ({ ...w, [setting]: value })))).toEqual([
        `environment "dev", workload "worker": ${setting} is ${JSON.stringify(value)}; expected a whole number ${range}`,
      ]);
    }
  });

  test('fails when a CronJob declares it (its pods are not rolled out)', () => {
    expect(problemsOf(withDev('prune', (w) => ({ ...w, [setting]: valid[1] })))).toEqual([
      expect.stringMatching(new RegExp(`^environment "dev", workload "prune": ${setting} is not a known setting`)),
    ]);
  });
});
