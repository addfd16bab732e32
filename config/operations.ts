/**
 * Operations settings of an environment: who is told about alarms, the alarm thresholds, log retention, the
 * database maintenance window and the backup plan. Every field has a default (`resolveOperations`); production
 * must name a pager. Validated by `validateOperations` (called from validatePlatformConfig).
 *
 * No runtime dependencies, like the rest of config/.
 */
import { loadBalancerName } from './outputs';
import { AWS_REGIONS } from './regions';

/** Where alarm notifications go. */
export interface NotificationSubscription {
  /**
   * - `email`: an address (SNS asks it to confirm once).
   * - `https`: a webhook that only informs (chat, ticketing).
   * - `pager`: the HTTPS endpoint of an on-call paging service (e.g. a PagerDuty or Opsgenie CloudWatch
   *   integration URL). Only production environments may page; production must have at least one.
   */
  readonly kind: 'email' | 'https' | 'pager';
  readonly endpoint: string;
}

/** Alarm thresholds. Each alarm's period, datapoints and missing-data handling are fixed in infra (see docs/operations.md#alarms-and-the-first-thing-to-check). */
export interface AlarmThresholds {
  /** Share of load balancer requests answered 5xx (by the targets or the ALB itself), percent. @default 1 */
  readonly loadBalancer5xxPercent?: number;
  /** Targets the ALB reports unhealthy; the alarm fires at this many or more. @default 1 */
  readonly unhealthyTargets?: number;
  /** p99 of the web service's request duration (from its request logs), milliseconds. @default 1000 */
  readonly serviceP99LatencyMs?: number;
  /** Share of API Gateway requests answered 5xx, percent. @default 1 */
  readonly api5xxPercent?: number;
  /** p99 of API Gateway latency, milliseconds. @default 2000 */
  readonly apiP99LatencyMs?: number;
  /** Lambda invocation errors in 5 minutes; the alarm fires at this many or more. @default 5 */
  readonly lambdaErrors?: number;
  /** Lambda throttled invocations in 5 minutes; the alarm fires at this many or more. @default 1 */
  readonly lambdaThrottles?: number;
  /** Database CPU, percent. @default 80 */
  readonly databaseCpuPercent?: number;
  /** Database free storage below this share of the allocated storage, percent. @default 10 */
  readonly databaseFreeStoragePercent?: number;
  /** Database freeable memory below this, MiB. @default 128 */
  readonly databaseFreeableMemoryMiB?: number;
  /** Database connections at or above this. @default 80 */
  readonly databaseConnections?: number;
}

/** AWS Backup plan (production environments only). */
export interface BackupConfig {
  /** Days a daily recovery point is kept. @default 35 */
  readonly retentionDays?: number;
  /**
   * Region whose vault receives a copy of every recovery point (disaster recovery). The vault named
   * `<project>-<env>-dr` must exist there (docs/operations.md#backups-and-restoring).
   * @default - no copy
   */
  readonly copyToRegion?: string;
}

export interface OperationsConfig {
  /** @default - none: alarms show in the console and on the dashboard only (not allowed in production) */
  readonly notifications?: readonly NotificationSubscription[];
  /** @default - every threshold at its default */
  readonly alarms?: AlarmThresholds;
  /** Retention of container logs (Fluent Bit) and Container Insights performance logs, days. @default 30 */
  readonly containerLogRetentionDays?: number;
  /** Retention of the database engine's log exports, days. @default 30 */
  readonly databaseLogRetentionDays?: number;
  /**
   * Weekly database maintenance window, UTC, `ddd:hh:mm-ddd:hh:mm` (at least 30 minutes). Production's must lie
   * outside business hours (Monday to Friday 07:00-19:00 UTC) and away from the 02:00-03:00 backup window.
   * @default "sun:03:30-sun:04:30"
   */
  readonly maintenanceWindow?: string;
  /** @default - 35 days, no copy (production only) */
  readonly backup?: BackupConfig;
}

/** `OperationsConfig` with every default applied. */
export interface ResolvedOperations {
  readonly notifications: readonly NotificationSubscription[];
  readonly alarms: Required<AlarmThresholds>;
  readonly containerLogRetentionDays: number;
  readonly databaseLogRetentionDays: number;
  readonly maintenanceWindow: string;
  readonly backup: { readonly retentionDays: number; readonly copyToRegion?: string };
  /** "page" in production, "notify" elsewhere: how the alarms of the environment are meant to be handled. */
  readonly severity: 'page' | 'notify';
}

export const DEFAULT_ALARM_THRESHOLDS: Required<AlarmThresholds> = {
  loadBalancer5xxPercent: 1,
  unhealthyTargets: 1,
  serviceP99LatencyMs: 1000,
  api5xxPercent: 1,
  apiP99LatencyMs: 2000,
  lambdaErrors: 5,
  lambdaThrottles: 1,
  databaseCpuPercent: 80,
  databaseFreeStoragePercent: 10,
  databaseFreeableMemoryMiB: 128,
  databaseConnections: 80,
};

/** The automated-backup window of the database (infra/constructs/database.ts). */
export const DATABASE_BACKUP_WINDOW = '02:00-03:00';
export const DEFAULT_MAINTENANCE_WINDOW = 'sun:03:30-sun:04:30';

/** Retention values CloudWatch Logs accepts, days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Applies the defaults; call after validation. */
export function resolveOperations(operations: OperationsConfig | undefined, production: boolean): ResolvedOperations {
  const o = operations ?? {};
  return {
    notifications: o.notifications ?? [],
    alarms: { ...DEFAULT_ALARM_THRESHOLDS, ...definedOnly(o.alarms ?? {}) },
    containerLogRetentionDays: o.containerLogRetentionDays ?? 30,
    databaseLogRetentionDays: o.databaseLogRetentionDays ?? 30,
    maintenanceWindow: o.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW,
    backup: { retentionDays: o.backup?.retentionDays ?? 35, copyToRegion: o.backup?.copyToRegion },
    severity: production ? 'page' : 'notify',
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HTTPS_URL = /^https:\/\/[^\s/]+(\/\S*)?$/;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WINDOW = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$/;
const WEEK = 7 * 24 * 60;

/** Threshold ranges: [min, max, what it is]. */
const THRESHOLD_RANGES: Record<keyof AlarmThresholds, [number, number, string]> = {
  loadBalancer5xxPercent: [0.01, 100, 'a percentage'],
  unhealthyTargets: [1, 1000, 'a whole number of targets'],
  serviceP99LatencyMs: [1, 60000, 'milliseconds'],
  api5xxPercent: [0.01, 100, 'a percentage'],
  apiP99LatencyMs: [1, 30000, 'milliseconds (API Gateway times out at 30 s)'],
  lambdaErrors: [1, 100000, 'a whole number of errors'],
  lambdaThrottles: [1, 100000, 'a whole number of throttles'],
  databaseCpuPercent: [1, 100, 'a percentage'],
  databaseFreeStoragePercent: [1, 99, 'a percentage'],
  databaseFreeableMemoryMiB: [1, 1048576, 'MiB'],
  databaseConnections: [1, 100000, 'a whole number of connections'],
};
const WHOLE_NUMBER_THRESHOLDS = new Set<keyof AlarmThresholds>(['unhealthyTargets', 'lambdaErrors', 'lambdaThrottles', 'databaseConnections', 'databaseFreeableMemoryMiB']);

/**
 * Checks one environment's operations settings; pushes one message per problem naming the field, the value
 * received and what is allowed.
 */
export function validateOperations(where: string, operations: OperationsConfig | undefined, env: { production: boolean; region: string }, problems: string[]): void {
  const o = operations ?? {};
  checkNotifications(where, o.notifications, env.production, problems);
  if (o.alarms !== undefined) checkAlarmThresholds(where, o.alarms, problems);
  for (const name of ['containerLogRetentionDays', 'databaseLogRetentionDays'] as const) {
    const value = o[name];
    if (value !== undefined && !LOG_RETENTION_DAYS.includes(value)) {
      problems.push(`${where}: operations.${name} is ${JSON.stringify(value)}; CloudWatch Logs accepts ${LOG_RETENTION_DAYS.join(', ')} days`);
    }
  }

  if (o.maintenanceWindow !== undefined) checkMaintenanceWindow(where, o.maintenanceWindow, env.production, problems);

  if (o.backup !== undefined) checkBackup(where, o.backup, env, problems);
}

/** Who alarms notify: e-mail or HTTPS endpoints; production pages someone, the others never do. */
function checkNotifications(where: string, value: OperationsConfig['notifications'], production: boolean, problems: string[]): void {
  const field = (name: string) => `operations.${name}`;
  const notifications = value ?? [];
  if (!Array.isArray(notifications)) {
    problems.push(`${where}: ${field('notifications')} is ${JSON.stringify(notifications)}; expected a list of { kind, endpoint }`);
  } else {
    notifications.forEach((s, i) => {
      const at = field(`notifications[${i}]`);
      if (!s || !['email', 'https', 'pager'].includes(s.kind)) {
        problems.push(`${where}: ${at}.kind is ${JSON.stringify(s?.kind)}; allowed: "email", "https", "pager"`);
        return;
      }
      if (s.kind === 'email' && (typeof s.endpoint !== 'string' || !EMAIL.test(s.endpoint))) {
        problems.push(`${where}: ${at}.endpoint is ${JSON.stringify(s.endpoint)}; expected an e-mail address such as "ops@example.com"`);
      }
      if (s.kind !== 'email' && (typeof s.endpoint !== 'string' || !HTTPS_URL.test(s.endpoint))) {
        problems.push(`${where}: ${at}.endpoint is ${JSON.stringify(s.endpoint)}; expected an https:// URL (SNS delivers ${s.kind} notifications over HTTPS only)`);
      }
      if (s.kind === 'pager' && !production) {
        problems.push(`${where}: ${at} is a pager; only production environments page, the others only notify (use "email" or "https")`);
      }
    });
    if (production && !notifications.some((s) => s?.kind === 'pager')) {
      problems.push(`${where}: ${field('notifications')} has no "pager" subscription; production alarms must page someone on call`);
    }
  }
}

function checkAlarmThresholds(where: string, alarms: OperationsConfig['alarms'], problems: string[]): void {
  const field = (name: string) => `operations.${name}`;
  if (typeof alarms !== 'object' || alarms === null) {
    problems.push(`${where}: ${field('alarms')} is ${JSON.stringify(alarms)}; expected an object of thresholds`);
  } else {
    for (const [name, value] of Object.entries(alarms)) {
      const range = THRESHOLD_RANGES[name as keyof AlarmThresholds];
      if (!range) {
        problems.push(`${where}: ${field(`alarms.${name}`)} is not a known threshold; allowed: ${Object.keys(THRESHOLD_RANGES).join(', ')}`);
        continue;
      }
      if (value === undefined) continue;
      const [min, max, what] = range;
      const whole = WHOLE_NUMBER_THRESHOLDS.has(name as keyof AlarmThresholds);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (whole && !Number.isInteger(value))) {
        problems.push(`${where}: ${field(`alarms.${name}`)} is ${JSON.stringify(value)}; expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max} (${what})`);
      }
    }
  }
}

function checkBackup(where: string, backup: NonNullable<OperationsConfig['backup']>, env: { production: boolean; region: string }, problems: string[]): void {
  const field = (name: string) => `operations.${name}`;
  const { retentionDays, copyToRegion } = backup;
  if (retentionDays !== undefined && (typeof retentionDays !== 'number' || !Number.isInteger(retentionDays) || retentionDays < 7 || retentionDays > 36500)) {
    problems.push(`${where}: ${field('backup.retentionDays')} is ${JSON.stringify(retentionDays)}; expected a whole number of days from 7 to 36500`);
  }
  if (copyToRegion !== undefined) {
    if (typeof copyToRegion !== 'string' || !AWS_REGIONS.includes(copyToRegion)) {
      problems.push(`${where}: ${field('backup.copyToRegion')} is ${JSON.stringify(copyToRegion)}, which is not a known AWS region; allowed: ${AWS_REGIONS.join(', ')}`);
    } else if (copyToRegion === env.region) {
      problems.push(`${where}: ${field('backup.copyToRegion')} is "${copyToRegion}", the environment's own region; a disaster-recovery copy must go to another region`);
    }
  }
  if (!env.production) problems.push(`${where}: ${field('backup')} is set on a non-production environment; the AWS Backup plan covers production environments only`);
}

function checkMaintenanceWindow(where: string, window: unknown, production: boolean, problems: string[]): void {
  const at = 'operations.maintenanceWindow';
  const span = typeof window === 'string' ? parseWeeklyWindow(window) : undefined;
  if (!span) {
    problems.push(`${where}: ${at} is ${JSON.stringify(window)}; expected "ddd:hh:mm-ddd:hh:mm" in UTC with ddd one of ${DAYS.join(', ')}, e.g. "${DEFAULT_MAINTENANCE_WINDOW}"`);
    return;
  }
  const [start, end] = span;
  const minutes = end - start;
  if (minutes < 30 || minutes > 24 * 60) {
    problems.push(`${where}: ${at} "${window}" lasts ${minutes} minutes; RDS needs 30 minutes to 24 hours`);
    return;
  }
  const [backupStart, backupEnd] = DATABASE_BACKUP_WINDOW.split('-').map(minuteOfDay);
  for (let day = 0; day < 7; day++) {
    if (overlaps(span, [day * 1440 + backupStart, day * 1440 + backupEnd])) {
      problems.push(`${where}: ${at} "${window}" overlaps the daily backup window ${DATABASE_BACKUP_WINDOW} UTC; RDS requires them apart`);
      return;
    }
  }
  if (production) {
    for (let day = 0; day < 5; day++) {
      if (overlaps(span, [day * 1440 + 7 * 60, day * 1440 + 19 * 60])) {
        problems.push(`${where}: ${at} "${window}" falls in business hours (Monday to Friday 07:00-19:00 UTC); production maintenance must happen outside them`);
        return;
      }
    }
  }
}

/** "ddd:hh:mm-ddd:hh:mm" → [start, end] in minutes from Monday 00:00 (end may pass into the next week). */
export function parseWeeklyWindow(window: string): [number, number] | undefined {
  const m = WINDOW.exec(window);
  if (!m) return undefined;
  const start = DAYS.indexOf(m[1]) * 1440 + Number(m[2]) * 60 + Number(m[3]);
  let end = DAYS.indexOf(m[4]) * 1440 + Number(m[5]) * 60 + Number(m[6]);
  if (end <= start) end += WEEK;
  return [start, end];
}

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** Whether two spans (minutes of the week, possibly wrapping past the week's end) overlap. */
function overlaps([a, b]: [number, number], [c, d]: [number, number]): boolean {
  return [0, WEEK, -WEEK].some((shift) => a < d + shift && c + shift < b);
}

/**
 * The tag the AWS Load Balancer Controller puts on an environment's ALB and target groups (Ingress annotation
 * `alb.ingress.kubernetes.io/tags`, set by the charts) and by which the CloudWatch Metrics Insights alarms select
 * their metrics: the ALB is created at deploy time, so its ARN is unknown when the alarms are synthesized.
 * A key of letters only, so Metrics Insights needs no quoting (`WHERE tag.PlatformService = '…'`).
 */
export function loadBalancerTag(project: string, environment: string): { readonly key: string; readonly value: string } {
  return { key: 'PlatformService', value: loadBalancerName(project, environment) };
}
