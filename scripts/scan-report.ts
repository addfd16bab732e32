/**
 * Judges the results of the independent scanners (checkov JSON, kube-score JSON) against the reviewed skip list
 * (scripts/scan-skips.json): any finding that no skip covers fails the scan. Each skip names the tool, the check,
 * the resource (exact, or a `*` pattern) and the reason. Skips that match nothing are reported, so the list stays short.
 *
 * Usage: node dist/scan-report.js --skips scripts/scan-skips.json [--expect-finding <check>] <result.json>...
 *   --expect-finding: the self-check; succeeds only when that check is among the unacknowledged findings.
 */
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, relative } from 'node:path';

export interface Finding {
  readonly tool: 'checkov' | 'kube-score';
  readonly check: string;
  /**
   * `<file>:<resource>`, file relative to the scanned folder (checkov) or the working directory (kube-score), e.g.
   * `platform-dev.template.json:AWS::Lambda::Function.ApiFunction6BF808ED`, `manifests/dev/web.k8s.yaml:Deployment/apps/v1/web/web`.
   */
  readonly resource: string;
  readonly title: string;
}

export interface Skip {
  readonly tool: 'checkov' | 'kube-score';
  readonly check: string;
  /** Exact `<file>:<resource>` or a pattern where `*` matches any characters. */
  readonly resource: string;
  readonly reason: string;
}

export interface Report {
  readonly findings: readonly Finding[];
  readonly unacknowledged: readonly Finding[];
  /** Skips that matched no finding (stale: remove them). */
  readonly unused: readonly Skip[];
  readonly countsByTool: Readonly<Record<string, number>>;
}

const TOOLS = ['checkov', 'kube-score'];

/** Validates the skip list: every entry has a known tool, a check, a resource and a real reason. */
export function parseSkips(value: unknown): Skip[] {
  if (!Array.isArray(value)) throw new Error(`the skip list is ${JSON.stringify(value)?.slice(0, 60)}; expected a JSON array of { tool, check, resource, reason }`);
  return value.map((entry, i) => {
    const { tool, check, resource, reason } = (entry ?? {}) as Record<string, unknown>;
    const where = `skip #${i + 1} (${JSON.stringify(check)})`;
    if (typeof tool !== 'string' || !TOOLS.includes(tool)) throw new Error(`${where}: tool is ${JSON.stringify(tool)}; allowed: ${TOOLS.join(', ')}`);
    if (typeof check !== 'string' || !check) throw new Error(`${where}: check is missing`);
    if (typeof resource !== 'string' || !resource || resource === '*')
      throw new Error(`${where}: resource is ${JSON.stringify(resource)}; name the resource (a pattern may use *, but not only *)`);
    if (typeof reason !== 'string' || reason.trim().length < 20)
      throw new Error(`${where}: reason is ${JSON.stringify(reason)}; give the reviewed reason (at least 20 characters)`);
    return { tool, check, resource, reason } as Skip;
  });
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Findings of a checkov `-o json` document (one report, or one per framework). */
export function checkovFindings(document: unknown): Finding[] {
  return asList(document as object).flatMap((report) => {
    const failed = ((report as { results?: { failed_checks?: unknown[] } }).results?.failed_checks ?? []) as Array<Record<string, string>>;
    return failed.map((f) => ({ tool: 'checkov' as const, check: f.check_id, resource: `${(f.file_path ?? '').replace(/^\//, '')}:${f.resource}`, title: f.check_name }));
  });
}

/** Findings of a kube-score `-o json` document: every check graded warning (5) or critical (1), not skipped. */
export function kubeScoreFindings(document: unknown, cwd = process.cwd()): Finding[] {
  return asList(document as object).flatMap((object) => {
    const o = object as { object_name: string; file_name?: string; checks: Array<{ check: { id: string; name: string }; grade: number; skipped: boolean }> };
    const file = o.file_name && isAbsolute(o.file_name) ? relative(cwd, o.file_name) : (o.file_name ?? '');
    const name = `${file}:${o.object_name}`;
    return o.checks.filter((c) => !c.skipped && c.grade <= 5).map((c) => ({ tool: 'kube-score' as const, check: c.check.id, resource: name, title: c.check.name }));
  });
}

function matches(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(value);
}

export function judge(findings: readonly Finding[], skips: readonly Skip[]): Report {
  const used = new Set<Skip>();
  const unacknowledged = findings.filter((finding) => {
    const skip = skips.find((s) => s.tool === finding.tool && s.check === finding.check && matches(s.resource, finding.resource));
    if (skip) used.add(skip);
    return !skip;
  });
  const countsByTool: Record<string, number> = {};
  for (const f of findings) countsByTool[f.tool] = (countsByTool[f.tool] ?? 0) + 1;
  return { findings, unacknowledged, unused: skips.filter((s) => !used.has(s)), countsByTool };
}

/** Reads one result file; checkov and kube-score documents are told apart by shape. */
export function findingsOf(text: string): Finding[] {
  const document = JSON.parse(text) as unknown;
  const first = asList(document as object)[0] as Record<string, unknown> | undefined;
  if (first && 'checks' in first && 'object_name' in first) return kubeScoreFindings(document);
  return checkovFindings(document);
}

function main(argv: string[]): number {
  let skipsFile: string | undefined;
  let expect: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--skips') skipsFile = argv[++i];
    else if (argv[i] === '--expect-finding') expect = argv[++i];
    else files.push(argv[i]);
  }
  if (!skipsFile || files.length === 0) {
    console.error('usage: scan-report --skips <skips.json> [--expect-finding <check>] <result.json>...');
    return 2;
  }
  const skips = parseSkips(JSON.parse(readFileSync(skipsFile, 'utf8')));
  const findings = files.flatMap((file) => {
    try {
      return findingsOf(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${basename(file)}: not a checkov or kube-score JSON result (${(error as Error).message})`, { cause: error });
    }
  });
  const report = judge(findings, skips);
  const counts =
    Object.entries(report.countsByTool)
      .map(([tool, n]) => `${tool} ${n}`)
      .join(', ') || 'none';
  if (expect) {
    const caught = report.unacknowledged.some((f) => f.check === expect);
    console.log(`scan self-check: deliberate finding ${expect} ${caught ? 'fails the scan, as it must' : 'was NOT reported: the scan would miss it'}`);
    return caught ? 0 : 1;
  }
  console.log(
    `scan: ${findings.length} findings (${counts}), ${findings.length - report.unacknowledged.length} acknowledged by ${skips.length - report.unused.length} of ${skips.length} reviewed skips`,
  );
  for (const skip of report.unused) console.log(`scan: warning: skip ${skip.tool} ${skip.check} ${skip.resource} matched nothing; remove it from ${skipsFile}`);
  for (const f of report.unacknowledged) console.error(`scan: unacknowledged ${f.tool} ${f.check} on ${f.resource}: ${f.title}`);
  if (report.unacknowledged.length > 0) {
    console.error(`scan: ${report.unacknowledged.length} unacknowledged findings: fix them, or add a reviewed skip (tool, check, resource, reason) to ${skipsFile}`);
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
