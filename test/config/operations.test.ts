import { ConfigError, type OperationsConfig, parseWeeklyWindow, platformConfig, type PlatformConfig, resolveOperations, validatePlatformConfig } from '../../config';

const [dev, staging, prod] = platformConfig.environments;

/** The default configuration with one environment's operations replaced. */
function withOperations(name: 'dev' | 'prod', operations: OperationsConfig | undefined): PlatformConfig {
  return { ...platformConfig, environments: [dev, staging, prod].map((e) => (e.name === name ? { ...e, operations } : e)) };
}

function problemsOf(config: PlatformConfig): string[] {
  try {
    validatePlatformConfig(config);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

const pager = { kind: 'pager', endpoint: 'https://events.example.com/integration/abc/enqueue' } as const;

describe('operations configuration', () => {
  test('the default configuration is valid', () => {
    expect(problemsOf(platformConfig)).toEqual([]);
  });

  test('defaults: no subscriptions, default thresholds, 30-day logs, Sunday window, 35-day backups; severity follows production', () => {
    const resolved = resolveOperations(undefined, false);
    expect(resolved).toMatchObject({
      notifications: [],
      containerLogRetentionDays: 30,
      databaseLogRetentionDays: 30,
      maintenanceWindow: 'sun:03:30-sun:04:30',
      backup: { retentionDays: 35 },
      severity: 'notify',
    });
    expect(resolved.alarms.loadBalancer5xxPercent).toBe(1);
    expect(resolveOperations({ alarms: { databaseConnections: 400 } }, true)).toMatchObject({ severity: 'page', alarms: { databaseConnections: 400, databaseCpuPercent: 80 } });
  });

  const cases: [string, 'dev' | 'prod', OperationsConfig | undefined, RegExp][] = [
    [
      'production has no pager',
      'prod',
      { notifications: [{ kind: 'email', endpoint: 'a@example.com' }] },
      /environment "prod": operations.notifications has no "pager" subscription/,
    ],
    ['production has no operations at all', 'prod', undefined, /operations.notifications has no "pager"/],
    ['a non-production environment pages', 'dev', { notifications: [pager] }, /environment "dev": operations.notifications\[0\] is a pager; only production environments page/],
    ['an e-mail is not an address', 'dev', { notifications: [{ kind: 'email', endpoint: 'ops' }] }, /notifications\[0\].endpoint is "ops"; expected an e-mail address/],
    [
      'a webhook is plain HTTP',
      'dev',
      { notifications: [{ kind: 'https', endpoint: 'http://hooks.example.com/x' }] },
      /notifications\[0\].endpoint is "http:\/\/hooks.example.com\/x"; expected an https:\/\/ URL/,
    ],
    [
      'a subscription kind is unknown',
      'dev',
      { notifications: [{ kind: 'sms', endpoint: '+1555' } as never] },
      /notifications\[0\].kind is "sms"; allowed: "email", "https", "pager"/,
    ],
    ['a threshold is out of range', 'dev', { alarms: { loadBalancer5xxPercent: 150 } }, /operations.alarms.loadBalancer5xxPercent is 150; expected a number from 0.01 to 100/],
    ['a count threshold is fractional', 'dev', { alarms: { databaseConnections: 10.5 } }, /operations.alarms.databaseConnections is 10.5; expected a whole number from 1/],
    ['a threshold name is unknown', 'dev', { alarms: { cpu: 3 } as never }, /operations.alarms.cpu is not a known threshold; allowed: loadBalancer5xxPercent/],
    [
      'a log retention is not one CloudWatch accepts',
      'dev',
      { containerLogRetentionDays: 10 },
      /operations.containerLogRetentionDays is 10; CloudWatch Logs accepts 1, 3, 5, 7, 14, 30/,
    ],
    ['the database log retention is not one CloudWatch accepts', 'dev', { databaseLogRetentionDays: 0 }, /operations.databaseLogRetentionDays is 0/],
    ['a maintenance window is malformed', 'dev', { maintenanceWindow: 'sunday 3am' }, /operations.maintenanceWindow is "sunday 3am"; expected "ddd:hh:mm-ddd:hh:mm"/],
    ['a maintenance window is too short', 'dev', { maintenanceWindow: 'sun:03:30-sun:03:45' }, /lasts 15 minutes; RDS needs 30 minutes to 24 hours/],
    ['a maintenance window overlaps the backup window', 'dev', { maintenanceWindow: 'sun:01:30-sun:02:30' }, /overlaps the daily backup window 02:00-03:00/],
    [
      'production maintenance falls in business hours',
      'prod',
      { notifications: [pager], maintenanceWindow: 'wed:10:00-wed:11:00' },
      /environment "prod": operations.maintenanceWindow "wed:10:00-wed:11:00" falls in business hours/,
    ],
    [
      'backups are kept less than a week',
      'prod',
      { notifications: [pager], backup: { retentionDays: 3 } },
      /operations.backup.retentionDays is 3; expected a whole number of days from 7 to 36500/,
    ],
    [
      'the copy region is unknown',
      'prod',
      { notifications: [pager], backup: { copyToRegion: 'mars-1' } },
      /operations.backup.copyToRegion is "mars-1", which is not a known AWS region/,
    ],
    [
      "the copy region is the environment's own",
      'prod',
      { notifications: [pager], backup: { copyToRegion: 'eu-central-1' } },
      /copyToRegion is "eu-central-1", the environment's own region/,
    ],
    ['a non-production environment sets a backup plan', 'dev', { backup: { retentionDays: 7 } }, /environment "dev": operations.backup is set on a non-production environment/],
  ];
  test.each(cases)('fails when %s', (_what, env, operations, message) => {
    const problems = problemsOf(withOperations(env, operations));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('a production window at the weekend or at night passes; Monday 06:30-07:30 does not', () => {
    const ok = ['sat:12:00-sat:13:00', 'tue:22:00-tue:23:30', 'sun:23:30-mon:00:30'];
    for (const maintenanceWindow of ok) expect(problemsOf(withOperations('prod', { notifications: [pager], maintenanceWindow }))).toEqual([]);
    expect(problemsOf(withOperations('prod', { notifications: [pager], maintenanceWindow: 'mon:06:30-mon:07:30' }))).toHaveLength(1);
  });

  test('parseWeeklyWindow wraps past the end of the week', () => {
    expect(parseWeeklyWindow('sun:23:30-mon:00:30')).toEqual([6 * 1440 + 23 * 60 + 30, 7 * 1440 + 30]);
    expect(parseWeeklyWindow('mon:00:00-mon:00:30')).toEqual([0, 30]);
    expect(parseWeeklyWindow('xyz:00:00-mon:00:30')).toBeUndefined();
  });
});
