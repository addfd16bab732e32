import { DEFAULT_CANARY, platformConfig, releaseStrategy, releaseStrategyProblems, validatePlatformConfig, type PlatformConfig, type ReleaseStrategy } from '../../config';
import { LOCAL_MIN_READY_SECONDS, LOCAL_STARTUP_SECONDS, localConfig } from '../../config/examples/local';
import { localCanaryConfig } from '../../config/examples/local-canary';
import { problemsOf } from './support';

const canary = (overrides: Record<string, unknown> = {}) => ({ kind: 'canary', ...DEFAULT_CANARY, ...overrides });

describe('release strategy', () => {
  test('production releases with the default canary, other environments and portable targets with the rolling update', () => {
    const byName = Object.fromEntries(platformConfig.environments.map((e) => [e.name, releaseStrategy(e)]));
    expect(byName.prod).toEqual({ kind: 'canary', ...DEFAULT_CANARY });
    expect(byName.dev).toEqual({ kind: 'rolling' });
    expect(releaseStrategy(platformConfig.portableTargets[0])).toEqual({ kind: 'rolling' });
  });

  test('a configured strategy wins over the default, also a canary outside production', () => {
    const own: ReleaseStrategy = { kind: 'canary', ...DEFAULT_CANARY, sharePercent: 10 };
    expect(releaseStrategy({ release: own, production: false })).toBe(own);
    expect(releaseStrategy({ release: { kind: 'rolling' }, production: true })).toEqual({ kind: 'rolling' });
  });

  test('accepts the default canary, fractional percentages and the rolling update', () => {
    expect(releaseStrategyProblems(canary(), 'release')).toEqual([]);
    expect(releaseStrategyProblems(canary({ minSuccessRatePercent: 99.5 }), 'release')).toEqual([]);
    expect(releaseStrategyProblems({ kind: 'rolling' }, 'release')).toEqual([]);
  });

  test('fails when a setting is out of range, not a number, or fractional where a count is expected', () => {
    expect(releaseStrategyProblems(canary({ sharePercent: 60, intervals: 2.5, minRequestsPerInterval: '20' }), 'release')).toEqual([
      'release.sharePercent is 60; expected a number from 1 to 50',
      'release.intervals is 2.5; expected a whole number from 1 to 100',
      'release.minRequestsPerInterval is "20"; expected a whole number from 1 to 1000000',
    ]);
  });

  test('fails when a setting is missing, naming a value to use', () => {
    const { intervalSeconds: _i, ...rest } = canary();
    expect(releaseStrategyProblems(rest, 'release')).toEqual(['release.intervalSeconds is missing; it is required (e.g. 10)']);
  });

  test('fails when the inconclusive policy or the kind is unknown', () => {
    expect(releaseStrategyProblems(canary({ onInconclusive: 'wait' }), 'release')).toEqual(['release.onInconclusive is "wait"; allowed: "fail", "promote"']);
    expect(releaseStrategyProblems({ kind: 'blue-green' }, 'release')).toEqual(['release.kind is "blue-green"; allowed: "rolling", "canary"']);
    expect(releaseStrategyProblems(null, 'release')).toEqual(['release is null; expected { kind: "rolling" } or { kind: "canary", … }']);
  });

  test('fails when the failure limit could never be exceeded', () => {
    expect(releaseStrategyProblems(canary({ intervals: 3, failureLimit: 3 }), 'release')).toEqual([
      'release.failureLimit is 3; it must be below intervals (3), or no canary could ever be aborted',
    ]);
  });

  test('validatePlatformConfig reports bad strategies of environments and portable targets with where they are', () => {
    const config: PlatformConfig = {
      ...platformConfig,
      environments: platformConfig.environments.map((e) => (e.name === 'staging' ? { ...e, release: canary({ intervalSeconds: 1 }) as ReleaseStrategy } : e)),
      portableTargets: platformConfig.portableTargets.map((t) => ({ ...t, release: { kind: 'instant' } as unknown as ReleaseStrategy })),
    };
    expect(problemsOf(config)).toEqual([
      'environment "staging": release.intervalSeconds is 1; expected a whole number from 5 to 600',
      'portable target "generic": release.kind is "instant"; allowed: "rolling", "canary"',
    ]);
  });

  test("a portable target's metricsScrapeCidrs (where the API server's pod proxy connects from): CIDRs no wider than /8, at least one", () => {
    const withCidrs = (metricsScrapeCidrs: unknown) => ({
      ...platformConfig,
      portableTargets: platformConfig.portableTargets.map((t) => ({ ...t, metricsScrapeCidrs: metricsScrapeCidrs as string[] })),
    });
    expect(problemsOf(withCidrs(['0.0.0.0/0', '10.1.2.0/33']))).toEqual([
      'portable target "generic": metricsScrapeCidrs[0] is "0.0.0.0/0"; expected an IPv4 CIDR with a prefix from /8 to /32 (network address aligned, e.g. "10.10.0.0/16")',
      'portable target "generic": metricsScrapeCidrs[1] is "10.1.2.0/33"; expected an IPv4 CIDR with a prefix from /8 to /32 (network address aligned, e.g. "10.10.0.0/16")',
    ]);
    expect(problemsOf(withCidrs([]))).toEqual([
      'portable target "generic": metricsScrapeCidrs is []; expected at least one CIDR (where the API server\'s pod proxy connects from), or leave it out for the default',
    ]);
  });

  test("a portable target's databaseCidr (the NetworkPolicy's only database destination) is an IPv4 CIDR", () => {
    const withCidr = (databaseCidr: unknown) => ({
      ...platformConfig,
      portableTargets: platformConfig.portableTargets.map((t) => ({ ...t, databaseCidr: databaseCidr as string })),
    });
    expect(validatePlatformConfig(withCidr('198.18.0.1/32')).portableTargets[0].databaseCidr).toBe('198.18.0.1/32');
    expect(problemsOf(withCidr('198.18.0.1'))).toEqual([
      'portable target "generic": databaseCidr is "198.18.0.1"; expected an IPv4 CIDR with a prefix from /0 to /32 (network address aligned, e.g. "10.10.0.0/16")',
    ]);
  });

  test("the local configuration is valid and differs from the default only in its portable services' and workers' minReadySeconds and startupSeconds", () => {
    expect(validatePlatformConfig(localConfig)).toBe(localConfig);
    const paced = localConfig.portableTargets.flatMap((t) => t.workloads.filter((w) => w.kind !== 'cronJob'));
    expect(paced.length).toBeGreaterThan(0);
    for (const workload of paced) {
      const { minReadySeconds, startupSeconds } = workload as { minReadySeconds?: number; startupSeconds?: number };
      expect([workload.name, minReadySeconds, startupSeconds]).toEqual([workload.name, LOCAL_MIN_READY_SECONDS, LOCAL_STARTUP_SECONDS]);
    }
    const unpaced = (config: PlatformConfig) => ({
      ...config,
      portableTargets: config.portableTargets.map((t) => ({ ...t, workloads: t.workloads.map(({ minReadySeconds: _m, startupSeconds: _s, ...w }: any) => w) })),
    });
    expect(unpaced(localConfig)).toEqual(unpaced(platformConfig));
    expect(platformConfig.portableTargets.flatMap((t) => t.workloads).some((w) => 'minReadySeconds' in w || 'startupSeconds' in w)).toBe(false);
  });

  test("the local-canary configuration is valid and differs from the local one only in the generic target's strategy (1 canary pod beside 2 = 33 %)", () => {
    expect(validatePlatformConfig(localCanaryConfig)).toBe(localCanaryConfig);
    const generic = localCanaryConfig.portableTargets.find((t) => t.name === 'generic')!;
    expect(releaseStrategy(generic)).toEqual({ ...DEFAULT_CANARY, kind: 'canary', sharePercent: 33, intervalSeconds: 5 });
    const { release: _release, ...rest } = generic;
    expect({ ...localCanaryConfig, portableTargets: [rest] }).toEqual(localConfig);
  });
});
