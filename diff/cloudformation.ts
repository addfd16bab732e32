/**
 * CloudFormation change sets per stack, computed and printed by `@aws-cdk/cloudformation-diff`: the library the
 * CDK CLI's `cdk diff` uses, so the output reads exactly like the CLI's (sections, `[+]/[-]/[~]`, IAM and
 * security-group tables, replacement warnings). Offline: both sides are synthesized templates.
 */
import { Writable } from 'node:stream';
import { formatDifferences, fullDiff, ResourceImpact, type TemplateDiff } from '@aws-cdk/cloudformation-diff';

export type Template = Record<string, unknown>;

/** One stack of a cloud assembly: its template and the construct path of each logical ID (from the assembly metadata). */
export interface StackTemplate {
  readonly template: Template;
  readonly logicalToPath: Readonly<Record<string, string>>;
}

export type ChangeKind = 'added' | 'removed' | 'changed' | 'unchanged';

export interface StackDiff {
  readonly stack: string;
  readonly kind: ChangeKind;
  /** Resources, outputs, parameters… that differ (the library's count). */
  readonly differenceCount: number;
  /** IAM statements or managed policies added or removed. */
  readonly iamChanges: boolean;
  /** The change adds permissions (statements or managed policies added, denials removed). */
  readonly permissionsBroadened: boolean;
  readonly securityGroupChanges: boolean;
  /** Resources CloudFormation would replace, may replace, delete or orphan: construct path (or logical ID) and what happens. */
  readonly destructive: readonly string[];
  /** The CLI's rendering (no colours). Empty when unchanged. */
  readonly text: string;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Diffs one stack; a missing side is an empty template (a stack added or removed by the change). */
export function diffStack(stack: string, base: StackTemplate | undefined, head: StackTemplate | undefined): StackDiff {
  const diff = fullDiff(base?.template ?? {}, head?.template ?? {});
  const kind: ChangeKind = !base ? 'added' : !head ? 'removed' : diff.isEmpty ? 'unchanged' : 'changed';
  const paths = { ...(base?.logicalToPath ?? {}), ...(head?.logicalToPath ?? {}) };
  return {
    stack,
    kind,
    differenceCount: diff.differenceCount,
    iamChanges: diff.iamChanges.hasChanges,
    permissionsBroadened: diff.permissionsBroadened,
    securityGroupChanges: diff.securityGroupChanges.hasChanges,
    destructive: destructiveChanges(diff, paths),
    text: diff.isEmpty ? '' : render(diff, paths),
  };
}

/** Every stack of either side, in head order then the removed ones. */
export function diffStacks(base: ReadonlyMap<string, StackTemplate>, head: ReadonlyMap<string, StackTemplate>): StackDiff[] {
  const names = [...head.keys(), ...[...base.keys()].filter((name) => !head.has(name))];
  return names.map((name) => diffStack(name, base.get(name), head.get(name)));
}

const DESTRUCTIVE: Partial<Record<ResourceImpact, string>> = {
  [ResourceImpact.WILL_REPLACE]: 'replaced',
  [ResourceImpact.MAY_REPLACE]: 'may be replaced',
  [ResourceImpact.WILL_DESTROY]: 'deleted',
  [ResourceImpact.WILL_ORPHAN]: 'removed from the stack, kept in the account',
};

function destructiveChanges(diff: TemplateDiff, paths: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const what = DESTRUCTIVE[change.changeImpact];
    if (what) out.push(`${paths[logicalId] ?? logicalId} (${change.resourceType ?? '?'}): ${what}`);
  });
  return out;
}

function render(diff: TemplateDiff, paths: Readonly<Record<string, string>>): string {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  // Wide enough that the IAM and security-group tables are not wrapped into unreadable columns.
  (stream as Writable & { columns?: number }).columns = 200;
  formatDifferences(stream, diff, paths);
  return chunks.join('').replace(ANSI, '').trimEnd();
}
