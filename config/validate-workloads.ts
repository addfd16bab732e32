/**
 * Rules of the workload declarations (config/workloads.ts): images, then each target's workloads. Called from
 * validatePlatformConfig; every message names the target, the workload, the field, the value and what is allowed.
 */
import { Checker, DNS_LABEL, ENV_VAR_NAME, HOSTNAME, quoted, URL_PATH } from './check';
import { IMAGE_KEYS, NAMED_CIDR_KEYS, PROBE_KEYS, SECRET_REF_KEYS, WORKLOAD_DATABASE_KEYS, WORKLOAD_KEYS, WORKLOAD_MIGRATION_KEYS, WORKLOAD_STORAGE_KEYS } from './keys';
import { METRICS_PORT } from './metrics';
import { releaseStrategyProblems } from './release';
import { PRODUCTION_MIN_REPLICAS, workloadSizingProblems, WORKLOAD_LIMITS } from './workload';
import { PLATFORM_ENV } from './app-env';
import {
  MIGRATION_TIMEOUT_LIMITS,
  MIN_READY_SECONDS_LIMITS,
  publicServices,
  repositoryConstructId,
  STARTUP_SECONDS_LIMITS,
  WORKLOAD_KINDS,
  type ImageConfig,
  type Workload,
} from './workloads';

/** Longest workload name: its objects, roles and alarm names carry it with prefixes. */
export const MAX_WORKLOAD_NAME_LENGTH = 40;
const ECR_REPOSITORY = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/;
const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/;
const STORAGE_PREFIX = /^[a-z0-9][a-z0-9._/-]*\/$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** The images: at least one, unique names and repositories, paths inside the repository. */
export function validateImages(images: unknown, check: Checker): void {
  if (!check.list('platform', 'images', images, 'image ({ name, context, dockerfile, repositoryName })')) return;
  const names = new Set<string>();
  const repositories = new Set<string>();
  const constructIds = new Map<string, string>();
  (images as ImageConfig[]).forEach((image, i) => {
    const where = `image ${typeof image?.name === 'string' ? `"${image.name}"` : `[${i}]`}`;
    check.knownKeys(where, '', image, IMAGE_KEYS);
    if (check.matches(where, 'name', image.name, DNS_LABEL, 'a lowercase DNS label such as "app"')) {
      if (names.has(image.name)) check.fail(where, 'name is used twice; image names must be unique');
      names.add(image.name);
    }
    check.matches(where, 'context', image.context, RELATIVE_PATH, 'a folder relative to the repository root, without "..", such as "app"');
    check.matches(where, 'dockerfile', image.dockerfile, RELATIVE_PATH, 'a file relative to the repository root, without "..", such as "app/Dockerfile"');
    if (check.matches(where, 'repositoryName', image.repositoryName, ECR_REPOSITORY, 'an ECR repository name such as "platform/web"')) {
      if (repositories.has(image.repositoryName)) check.fail(where, `repositoryName "${image.repositoryName}" is used by another image; each image has its own repository`);
      repositories.add(image.repositoryName);
      const id = repositoryConstructId(image);
      const other = constructIds.get(id);
      if (other)
        check.fail(
          where,
          `repositoryName "${image.repositoryName}" ends like "${other}"; repositories' last path segments must differ (they name the repository's CloudFormation resource)`,
        );
      constructIds.set(id, image.repositoryName);
    }
  });
}

export interface WorkloadTarget {
  /** e.g. `environment "dev"` or `portable target "generic"`. */
  readonly where: string;
  readonly production: boolean;
  /** Names of the declared images. */
  readonly images: readonly string[];
  /** Hostnames the target's certificate covers (AWS environments); undefined where TLS is the operator's. */
  readonly coversHost?: (host: string) => boolean;
  /** The certificate's names, for the message. */
  readonly certificateNames?: string;
}

/** One target's workloads: each on its own, then the edges between them. */
export function validateWorkloads(workloads: unknown, target: WorkloadTarget, check: Checker): void {
  if (!check.list(target.where, 'workloads', workloads, 'workload (a service, worker or cronJob)')) return;
  const list = workloads as Workload[];
  const names = new Set<string>();
  for (const [i, workload] of list.entries()) {
    const where = `${target.where}, workload ${typeof workload?.name === 'string' ? `"${workload.name}"` : `[${i}]`}`;
    if (!check.oneOf(where, 'kind', workload?.kind, WORKLOAD_KINDS)) continue;
    check.knownKeys(where, '', workload, WORKLOAD_KEYS[workload.kind]);
    if (check.matches(where, 'name', workload.name, DNS_LABEL, 'a lowercase DNS label such as "web"')) {
      if (workload.name.length > MAX_WORKLOAD_NAME_LENGTH) check.fail(where, `name "${workload.name}" has ${workload.name.length} characters; at most ${MAX_WORKLOAD_NAME_LENGTH}`);
      if (names.has(workload.name)) check.fail(where, 'name is used twice; workload names must be unique in a target');
      names.add(workload.name);
    }
    validateCommon(workload, where, target, check);
    if (workload.kind === 'service') validateService(workload, where, target, check);
    else if (workload.kind === 'worker') validateWorker(workload, where, target, check);
    else validateCronJob(workload, where, check);
  }
  validateEdges(list, target, check);
}

function validateCommon(workload: Workload, where: string, target: WorkloadTarget, check: Checker): void {
  check.oneOf(where, 'image', workload.image, target.images);
  for (const field of ['command', 'args'] as const) validateCommandList(workload[field], field, where, check);
  for (const [name, value] of Object.entries(workload.env ?? {})) {
    if (check.matches(where, `env key ${JSON.stringify(name)}`, name, ENV_VAR_NAME, 'an environment variable name (A-Z, 0-9, _)') && PLATFORM_ENV.includes(name)) {
      check.fail(where, `env.${name} is set by the platform; allowed: any other name`);
    }
    if (typeof value !== 'string') check.fail(where, `env.${name} is ${JSON.stringify(value)}; expected a string`);
  }
  for (const [name, ref] of Object.entries(workload.secretEnv ?? {})) {
    check.matches(where, `secretEnv key ${JSON.stringify(name)}`, name, ENV_VAR_NAME, 'an environment variable name (A-Z, 0-9, _)');
    if (check.knownKeys(where, `secretEnv.${name}`, ref, SECRET_REF_KEYS)) {
      check.matches(where, `secretEnv.${name}.secretName`, ref?.secretName, DNS_LABEL, 'a Secret name');
      check.matches(where, `secretEnv.${name}.key`, ref?.key, SECRET_KEY, 'a Secret key (letters, digits, -, _, .)');
    }
  }
  const sizing = workload.kind === 'service' ? workload : { minReplicas: 1, maxReplicas: 1, cpuMillis: workload.cpuMillis, memoryMiB: workload.memoryMiB };
  for (const problem of workloadSizingProblems(sizing, target.production && workload.kind === 'service', '')) check.fail(where, problem);
  validateAccess(workload, where, check);
  if (workload.egress !== undefined && check.list(where, 'egress', workload.egress, 'destination ({ name, cidr, port })')) {
    const seen = new Set<string>();
    workload.egress.forEach((destination, i) => {
      const field = `egress[${i}]`;
      check.knownKeys(where, field, destination, NAMED_CIDR_KEYS);
      if (check.matches(where, `${field}.name`, destination.name, DNS_LABEL, 'a lowercase DNS label') && seen.has(destination.name))
        check.fail(where, `${field}.name "${destination.name}" is used twice`);
      seen.add(destination.name);
      check.cidr(where, `${field}.cidr`, destination.cidr, 0, 32);
      check.integer(where, `${field}.port`, destination.port, 1, 65535);
    });
  }
}

/** A container command or argument list: absent, or at least one non-empty string. */
function validateCommandList(value: unknown, field: string, where: string, check: Checker): void {
  if (value !== undefined && (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v.length === 0))) {
    check.fail(where, `${field} is ${JSON.stringify(value)}; expected a non-empty list of non-empty strings`);
  }
}

/** A service's or worker's migration: a command of its image and a bounded timeout. */
function validateMigration(migration: unknown, where: string, check: Checker): void {
  if (migration === undefined) return;
  if (typeof migration !== 'object' || migration === null || Array.isArray(migration)) {
    check.fail(where, `migration is ${JSON.stringify(migration)}; expected { command: [...], timeoutSeconds? }`);
    return;
  }
  check.knownKeys(where, 'migration', migration, WORKLOAD_MIGRATION_KEYS);
  const { command, timeoutSeconds } = migration as { command?: unknown; timeoutSeconds?: unknown };
  if (check.present(where, 'migration.command', command)) validateCommandList(command, 'migration.command', where, check);
  if (timeoutSeconds !== undefined) check.integer(where, 'migration.timeoutSeconds', timeoutSeconds, MIGRATION_TIMEOUT_LIMITS.min, MIGRATION_TIMEOUT_LIMITS.max);
}

function validateAccess(workload: Workload, where: string, check: Checker): void {
  const database = workload.database;
  if (database !== undefined && check.knownKeys(where, 'database', database, WORKLOAD_DATABASE_KEYS)) {
    if (database.ownSchema !== undefined) check.boolean(where, 'database.ownSchema', database.ownSchema);
    if (database.ownSchema !== true && (database.schemas ?? []).length === 0) {
      check.fail(where, 'database is {} without a schema; give ownSchema: true, or schemas: [{ workload, access }], or leave database out');
    }
    (database.schemas ?? []).forEach((grant, i) => {
      check.knownKeys(where, `database.schemas[${i}]`, grant, ['workload', 'access']);
      check.oneOf(where, `database.schemas[${i}].access`, grant.access, ['read', 'readWrite']);
    });
  }
  const storage = workload.storage;
  if (storage !== undefined && check.knownKeys(where, 'storage', storage, WORKLOAD_STORAGE_KEYS)) {
    if (storage.prefix !== undefined) check.matches(where, 'storage.prefix', storage.prefix, STORAGE_PREFIX, 'a key prefix ending in "/", such as "uploads/"');
    check.oneOf(where, 'storage.access', storage.access, ['read', 'readWrite']);
  }
}

function validateProbes(probes: unknown, where: string, check: Checker): void {
  if (probes === undefined || !check.knownKeys(where, 'probes', probes, PROBE_KEYS)) return;
  for (const key of PROBE_KEYS) {
    const path = (probes as Record<string, unknown>)[key];
    if (path !== undefined) check.matches(where, `probes.${key}`, path, URL_PATH, 'a URL path such as "/healthz"');
  }
}

/** A service's or worker's rollout timing: minReadySeconds and startupSeconds. */
function validateRolloutTiming(workload: { minReadySeconds?: unknown; startupSeconds?: unknown }, where: string, check: Checker): void {
  if (workload.minReadySeconds !== undefined) check.integer(where, 'minReadySeconds', workload.minReadySeconds, MIN_READY_SECONDS_LIMITS.min, MIN_READY_SECONDS_LIMITS.max);
  if (workload.startupSeconds !== undefined) check.integer(where, 'startupSeconds', workload.startupSeconds, STARTUP_SECONDS_LIMITS.min, STARTUP_SECONDS_LIMITS.max);
}

function validatePort(where: string, field: string, port: unknown, check: Checker): void {
  if (port !== undefined && check.integer(where, field, port, 1, 65535) && port === METRICS_PORT) {
    check.fail(where, `${field} is ${METRICS_PORT}, the metrics port; give the workload a port of its own`);
  }
}

function validateService(service: Extract<Workload, { kind: 'service' }>, where: string, target: WorkloadTarget, check: Checker): void {
  validatePort(where, 'port', service.port, check);
  validateProbes(service.probes, where, check);
  validateRolloutTiming(service, where, check);
  validateMigration(service.migration, where, check);
  const exposure = service.exposure as unknown as Record<string, unknown> | undefined;
  if (check.present(where, 'exposure', exposure) && check.oneOf(where, 'exposure.kind', exposure!.kind, ['public', 'internal'])) {
    if (exposure!.kind === 'internal') check.knownKeys(where, 'exposure', exposure, ['kind']);
    else {
      check.knownKeys(where, 'exposure', exposure, ['kind', 'host', 'path']);
      const { host, path } = exposure as { host?: unknown; path?: unknown };
      if (host === undefined && path === undefined)
        check.fail(where, 'exposure is public without a host or path; give exposure.host (e.g. "app.example.com") and/or exposure.path (e.g. "/api")');
      if (
        host !== undefined &&
        check.matches(where, 'exposure.host', host, HOSTNAME, 'a lowercase hostname such as "app.example.com"') &&
        target.coversHost &&
        !target.coversHost(host)
      ) {
        check.fail(where, `exposure.host "${host}" is not covered by the region's certificate (${target.certificateNames})`);
      }
      if (path !== undefined) check.matches(where, 'exposure.path', path, URL_PATH, 'a URL path such as "/api"');
    }
  }
  if (service.release !== undefined) for (const problem of releaseStrategyProblems(service.release, 'release')) check.fail(where, problem);
}

function validateWorker(worker: Extract<Workload, { kind: 'worker' }>, where: string, target: WorkloadTarget, check: Checker): void {
  const { min, max } = WORKLOAD_LIMITS.minReplicas;
  if (check.integer(where, 'replicas', worker.replicas, min, max) && target.production && worker.replicas < PRODUCTION_MIN_REPLICAS) {
    check.fail(
      where,
      `replicas is ${worker.replicas} in production; production needs at least ${PRODUCTION_MIN_REPLICAS} so a rollout, a drain or a node loss never stops the work`,
    );
  }
  validatePort(where, 'healthPort', worker.healthPort, check);
  validateProbes(worker.probes, where, check);
  validateRolloutTiming(worker, where, check);
  validateMigration(worker.migration, where, check);
  rollingOnly(worker.release, where, 'a worker serves no HTTP traffic', check);
}

function validateCronJob(job: Extract<Workload, { kind: 'cronJob' }>, where: string, check: Checker): void {
  const scheduleProblem = typeof job.schedule === 'string' ? cronScheduleProblem(job.schedule) : 'expected a five-field cron expression such as "15 3 * * *"';
  if (check.present(where, 'schedule', job.schedule) && scheduleProblem) check.fail(where, `schedule is ${JSON.stringify(job.schedule)}; ${scheduleProblem}`);
  if (job.timeZone !== undefined && !isTimeZone(job.timeZone))
    check.fail(where, `timeZone is ${JSON.stringify(job.timeZone)}; expected an IANA time zone such as "Etc/UTC" or "Europe/Berlin"`);
  if (job.concurrencyPolicy !== undefined) check.oneOf(where, 'concurrencyPolicy', job.concurrencyPolicy, ['Forbid', 'Allow', 'Replace']);
  if (job.startingDeadlineSeconds !== undefined) check.integer(where, 'startingDeadlineSeconds', job.startingDeadlineSeconds, 10, 86400);
  if (job.activeDeadlineSeconds !== undefined) check.integer(where, 'activeDeadlineSeconds', job.activeDeadlineSeconds, 1, 86400);
  if (job.backoffLimit !== undefined) check.integer(where, 'backoffLimit', job.backoffLimit, 0, 10);
  if (job.successfulJobsHistoryLimit !== undefined) check.integer(where, 'successfulJobsHistoryLimit', job.successfulJobsHistoryLimit, 0, 100);
  if (job.failedJobsHistoryLimit !== undefined) check.integer(where, 'failedJobsHistoryLimit', job.failedJobsHistoryLimit, 0, 100);
  rollingOnly(job.release, where, 'a CronJob serves no HTTP traffic', check);
}

function rollingOnly(release: unknown, where: string, why: string, check: Checker): void {
  if (release === undefined) return;
  const kind = (release as { kind?: unknown })?.kind;
  if (kind === 'canary') check.fail(where, `release.kind is "canary"; ${why} for a canary's HTTP metrics to judge: allowed: "rolling"`);
  else if (kind !== 'rolling') check.fail(where, `release.kind is ${JSON.stringify(kind)}; allowed: "rolling"`);
}

/** Edges between workloads name workloads that exist; database grants name workloads that own a schema; public routes are unique. */
function validateEdges(workloads: readonly Workload[], target: WorkloadTarget, check: Checker): void {
  const byName = new Map(workloads.filter((w) => typeof w?.name === 'string').map((w) => [w.name, w]));
  const known = [...byName.keys()];
  for (const workload of workloads) {
    const where = `${target.where}, workload "${workload?.name}"`;
    const callers = workload?.kind === 'service' ? (workload.allowFrom ?? []) : [];
    callers.forEach((caller, i) => {
      if (caller === workload.name) check.fail(where, `allowFrom[${i}] is its own name; a workload's pods need no policy to reach themselves`);
      else if (!byName.has(caller))
        check.fail(where, `allowFrom[${i}] is ${JSON.stringify(caller)}, which is no workload of this target; allowed: ${quoted(known.filter((n) => n !== workload.name))}`);
    });
    if (new Set(callers).size !== callers.length) check.fail(where, `allowFrom ${JSON.stringify(callers)} names a workload twice`);
    (workload?.database?.schemas ?? []).forEach((grant, i) => {
      const owner = byName.get(grant?.workload);
      if (grant?.workload === workload.name) check.fail(where, `database.schemas[${i}].workload is its own name; use database.ownSchema: true`);
      else if (!owner)
        check.fail(
          where,
          `database.schemas[${i}].workload is ${JSON.stringify(grant?.workload)}, which is no workload of this target; allowed: ${quoted(known.filter((n) => n !== workload.name))}`,
        );
      else if (owner.database?.ownSchema !== true) check.fail(where, `database.schemas[${i}].workload "${grant.workload}" owns no schema (its database.ownSchema is not true)`);
    });
  }
  const routes = new Map<string, string>();
  for (const service of publicServices(workloads)) {
    const exposure = service.exposure as { host?: string; path?: string };
    const route = `${exposure.host ?? '*'}${exposure.path ?? '/'}`;
    const other = routes.get(route);
    if (other) check.fail(`${target.where}, workload "${service.name}"`, `exposure routes ${route} like workload "${other}"; each public service needs its own host or path`);
    routes.set(route, service.name);
  }
}

const CRON_FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** What is wrong with a Kubernetes CronJob schedule (five fields or a macro, as the CronJob controller reads it); undefined when valid. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const expected = 'expected five fields (minute hour day-of-month month day-of-week) such as "15 3 * * *", or one of ' + CRON_MACROS.join(', ');
  if (/^\s*(CRON_)?TZ=/.test(schedule)) return 'a time zone in the schedule is refused by Kubernetes; set timeZone instead';
  if (schedule.startsWith('@')) return CRON_MACROS.includes(schedule) ? undefined : expected;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return expected;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i];
    for (const part of field.split(',')) {
      const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
      const value = (text: string) => {
        const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
        return named >= 0 ? named + (spec.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
      };
      const bounds = match && match[1] !== '*' ? match[1].split('-').map(value) : [];
      if (!match || bounds.some((b) => !(b >= spec.min && b <= spec.max)) || (bounds.length === 2 && bounds[0] > bounds[1]) || (match[2] !== undefined && Number(match[2]) < 1)) {
        return `its ${spec.name} field "${field}" is not valid (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''}, "*", ranges, lists and "/step")`;
      }
    }
  }
  return undefined;
}

/** An IANA time zone name this runtime knows (Kubernetes reads the same tz database). */
export function isTimeZone(zone: unknown): boolean {
  if (typeof zone !== 'string' || !/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
