/** What a canary release prints and returns: the abort report, the promotion line, and the result fields. */
import { seconds } from '../clock';
import { EXIT } from '../errors';
import type { PreviousRelease } from '../phases/apply';
import type { CanaryMarks, CanaryOutcome } from './run-canary';
import type { CanarySummary, DeployResult } from '../phases/report';

type Aborted = Extract<CanaryOutcome, { kind: 'abort' }>;
type Promoted = Extract<CanaryOutcome, { kind: 'promote' }>;

const timing = (m: CanaryMarks) =>
  [
    `canary apply ${seconds(m.applied - m.started)}s`,
    m.ready !== undefined ? `apply→Ready ${seconds(m.ready - m.applied)}s` : `apply→not Ready detected ${seconds(m.decided - m.applied)}s`,
    ...(m.ready !== undefined ? [`Ready→decided ${seconds(m.decided - m.ready)}s`] : []),
  ].join(' · ');

/** The report of an aborted canary: which metric, which values, which pods; what was removed; the stable release untouched. */
export function canaryAbortReport(target: string, deployment: string, images: readonly string[], outcome: Aborted, previous: PreviousRelease): string {
  const head =
    outcome.stage === 'never-ready'
      ? `✗ ${target}: canary of ${images.join(', ')} aborted: ${outcome.reason}`
      : `✗ ${target}: canary of ${images.join(', ')} aborted${outcome.inconclusive ? ' (the analysis was inconclusive)' : ''}: ${outcome.reason}`;
  return [
    head,
    ...outcome.details.map((l) => `  ${l}`),
    `  deployment/${deployment} was never touched: still revision ${previous.revision ?? '?'} (${previous.images.join(', ')})`,
    `  timings: ${timing(outcome.marks)}`,
  ].join('\n');
}

export function canarySummary(outcome: CanaryOutcome): CanarySummary {
  const m = outcome.marks;
  return {
    decision: outcome.kind === 'promote' ? 'promoted' : 'aborted',
    ...(outcome.kind === 'abort' ? { stage: outcome.stage } : {}),
    inconclusive: outcome.kind === 'promote' ? outcome.analysis.decision.inconclusive : outcome.inconclusive,
    readyMs: m.ready !== undefined ? m.ready - m.applied : undefined,
    analysisMs: m.ready !== undefined ? m.decided - m.ready : undefined,
  };
}

/** Exit 1, like a rolled-back release: the release failed and what ran before still runs. */
export function canaryAbortResult(outcome: Aborted): DeployResult {
  const m = outcome.marks;
  return {
    outcome: 'canary-aborted',
    exitCode: EXIT.rolledBack,
    reason: outcome.reason,
    timings: { applyMs: m.applied - m.started, detectMs: m.decided - m.applied, totalMs: m.decided - m.started },
    canary: canarySummary(outcome),
  };
}

export function promotionLine(deployment: string, images: readonly string[], outcome: Promoted): string {
  const { decision } = outcome.analysis;
  return `canary passed${decision.inconclusive ? ' WITHOUT EVIDENCE' : ''} (${decision.reason}); promoting: deployment/${deployment} rolls to ${images.join(', ')}`;
}
