/**
 * The analysis loop of a running canary: every interval, scrape the canary's and the stable pods' metrics through
 * the pod proxy, judge the interval, print one line, and stop at the first decision (abort or promote).
 */
import type { CanaryConfig } from '../../config';
import { seconds } from '../clock';
import type { ClusterContext } from '../context';
import { decide, intervalLine, judgeInterval, sumTraffic, trafficBetween, type CanaryDecision, type IntervalVerdict, type Traffic } from './verdict';
import { scrapePods } from './pod-metrics';
import { CANARY_TRACK, TRACK_LABEL } from './deployment';

export interface AnalysisOptions {
  readonly namespace: string;
  /** Labels of every pod of the workload (the Service's selector): canary pods carry TRACK_LABEL=canary too. */
  readonly selector: Readonly<Record<string, string>>;
  readonly config: CanaryConfig;
}

export interface AnalysisResult {
  readonly decision: Exclude<CanaryDecision, { kind: 'continue' }>;
  readonly verdicts: readonly IntervalVerdict[];
  /** The pods of each track in the last interval (for the report). */
  readonly pods: { readonly canary: readonly string[]; readonly stable: readonly string[] };
}

/** Pods by track: Running and not being deleted (a terminating pod's counters would vanish mid-interval). */
async function podsByTrack({ cluster }: ClusterContext, options: AnalysisOptions): Promise<{ canary: string[]; stable: string[] }> {
  const pods = await cluster.listPods(options.namespace, options.selector);
  const live = (pods.ok ? pods.value : []).filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  const isCanary = (p: (typeof live)[number]) => p.metadata?.labels?.[TRACK_LABEL] === CANARY_TRACK;
  return { canary: live.filter(isCanary).map((p) => p.metadata!.name!), stable: live.filter((p) => !isCanary(p)).map((p) => p.metadata!.name!) };
}

/** Traffic of each track since the previous scrape (per pod, so a restarted pod counts from zero). */
function intervalTraffic(previous: ReadonlyMap<string, Traffic>, current: ReadonlyMap<string, Traffic>, pods: readonly string[]): Traffic {
  return sumTraffic(pods.filter((p) => current.has(p)).map((p) => trafficBetween(previous.get(p), current.get(p)!)));
}

/** One interval's wait; a longer one than `context.progressMs` says what it waits for at least that often. */
async function waitInterval({ clock, log, progressMs }: ClusterContext, interval: number, config: CanaryConfig): Promise<void> {
  const total = config.intervalSeconds * 1000;
  for (let waited = 0; waited < total;) {
    const step = Math.min(progressMs, total - waited);
    await clock.sleep(step);
    waited += step;
    if (waited < total)
      log(`  canary interval ${interval}/${config.intervals}: measuring the canary's and the stable pods' traffic, ${seconds(waited)} s of ${config.intervalSeconds} s`);
  }
}

export async function analyseCanary(context: ClusterContext, options: AnalysisOptions): Promise<AnalysisResult> {
  const { log } = context;
  const { config } = options;
  const verdicts: IntervalVerdict[] = [];
  let tracks = await podsByTrack(context, options);
  let previous = (await scrapePods(context, options.namespace, [...tracks.canary, ...tracks.stable])).pods;
  for (let interval = 1; ; interval++) {
    await waitInterval(context, interval, config);
    tracks = await podsByTrack(context, options);
    const scrape = await scrapePods(context, options.namespace, [...tracks.canary, ...tracks.stable]);
    const verdict = judgeInterval(interval, intervalTraffic(previous, scrape.pods, tracks.canary), intervalTraffic(previous, scrape.pods, tracks.stable), config);
    verdicts.push(verdict);
    log(`  ${intervalLine(verdict, config.intervals)}${scrape.failed.length ? ` [no metrics from ${scrape.failed.map((f) => f.pod).join(', ')}]` : ''}`);
    const decision = decide(verdicts, config);
    if (decision.kind !== 'continue') return { decision, verdicts, pods: tracks };
    previous = scrape.pods;
  }
}
