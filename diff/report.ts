/**
 * The review as text (terminal) and as Markdown (pull-request comment, job summary): per stack the CloudFormation
 * change set as `cdk diff` prints it, per target the manifest changes; IAM, security-group, destructive and image
 * changes are called out at the top.
 */
import type { StackDiff } from './cloudformation';
import type { FieldChange, TargetDiff } from './manifests';

export interface Review {
  /** e.g. `origin/main (1a2b3c4)`. */
  readonly base: string;
  readonly head: string;
  readonly stacks: readonly StackDiff[];
  readonly targets: readonly TargetDiff[];
  /** Lines about how the sides were produced (base dependencies, synth warnings). */
  readonly notes?: readonly string[];
}

export const NO_DIFFERENCES = 'no differences';

const changedStacks = (r: Review) => r.stacks.filter((s) => s.kind !== 'unchanged');
const changedTargets = (r: Review) => r.targets.filter((t) => t.kind !== 'unchanged');

export function hasDifferences(r: Review): boolean {
  return changedStacks(r).length > 0 || changedTargets(r).length > 0;
}

/** Lines that deserve a reviewer's attention first. */
function callouts(r: Review): string[] {
  const out: string[] = [];
  const iam = r.stacks.filter((s) => s.iamChanges);
  if (iam.length) out.push(`IAM changes: ${iam.map((s) => `${s.stack}${s.permissionsBroadened ? ' (permissions broadened)' : ''}`).join(', ')}`);
  const sg = r.stacks.filter((s) => s.securityGroupChanges);
  if (sg.length) out.push(`Security group changes: ${sg.map((s) => s.stack).join(', ')}`);
  for (const s of r.stacks) for (const d of s.destructive) out.push(`${s.stack}: ${d}`);
  for (const t of r.targets) for (const i of t.images) out.push(`image in ${t.target}, ${i.where}: ${i.before ?? '(none)'} → ${i.after ?? '(removed)'}`);
  for (const t of r.targets) for (const o of t.objects) if (o.kind === 'removed') out.push(`${t.target}: ${o.ref} is removed (the deploy command prunes it)`);
  return out;
}

const value = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
};
const field = (c: FieldChange) =>
  c.before === undefined ? `+ ${c.path}: ${value(c.after)}` : c.after === undefined ? `- ${c.path}: ${value(c.before)}` : `~ ${c.path}: ${value(c.before)} → ${value(c.after)}`;

const SIGN = { added: '+', removed: '-', changed: '~' } as const;

function targetLines(t: TargetDiff): string[] {
  const lines: string[] = [];
  if (t.kind === 'added') lines.push(`(new target)`);
  if (t.kind === 'removed') lines.push(`(target removed)`);
  for (const o of t.objects) {
    lines.push(`${SIGN[o.kind]} ${o.ref}${o.kind === 'added' ? ' (added)' : o.kind === 'removed' ? ' (removed)' : ''}`);
    for (const c of o.fields) lines.push(`    ${field(c)}`);
  }
  return lines;
}

function summary(r: Review): string {
  const s = changedStacks(r).length;
  const t = changedTargets(r).length;
  return `CloudFormation: ${s ? `${s} of ${r.stacks.length} stacks change` : `${NO_DIFFERENCES} (${r.stacks.length} stacks)`}; manifests: ${t ? `${t} of ${r.targets.length} targets change` : `${NO_DIFFERENCES} (${r.targets.length} targets)`}`;
}

export function toText(r: Review): string {
  const out: string[] = [`Review ${r.base} → ${r.head}`, ...(r.notes ?? []).map((n) => `note: ${n}`), ''];
  if (!hasDifferences(r)) return [...out, `${NO_DIFFERENCES}: ${summary(r)}`, ''].join('\n');
  out.push(summary(r));
  const attention = callouts(r);
  if (attention.length) out.push('', 'Needs attention:', ...attention.map((l) => `  ! ${l}`));
  for (const s of changedStacks(r)) out.push('', `Stack ${s.stack}${s.kind === 'changed' ? '' : ` (${s.kind})`}`, s.text);
  for (const t of changedTargets(r)) out.push('', `Manifests ${t.target}`, ...targetLines(t).map((l) => `  ${l}`));
  return `${out.join('\n')}\n`;
}

/** Hidden first line of the pull-request comment: how the publisher finds its own comment to update it. */
export const COMMENT_MARKER = '<!-- platform-review-diff -->';

const fence = (text: string, lang = '') => {
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}${lang}\n${text}\n${ticks}`;
};

export function toMarkdown(r: Review): string {
  const out: string[] = [COMMENT_MARKER, `## Infrastructure and manifest review`, '', `\`${r.base}\` → \`${r.head}\``, ''];
  for (const n of r.notes ?? []) out.push(`> ${n}`, '');
  if (!hasDifferences(r)) return [...out, `**${NO_DIFFERENCES}**: ${summary(r)}`, ''].join('\n');
  out.push(`**${summary(r)}**`, '');
  const attention = callouts(r);
  if (attention.length) out.push('### Needs attention', '', ...attention.map((l) => `- ⚠️ ${l}`), '');
  const stacks = changedStacks(r);
  if (stacks.length) {
    out.push('### CloudFormation (as `cdk diff` shows it)', '');
    for (const s of stacks) {
      out.push(
        `<details open><summary><b>${s.stack}</b>: ${s.kind === 'changed' ? `${s.differenceCount} differences` : `stack ${s.kind}`}</summary>`,
        '',
        fence(s.text),
        '',
        '</details>',
        '',
      );
    }
  }
  const targets = changedTargets(r);
  if (targets.length) {
    out.push('### Kubernetes manifests', '');
    for (const t of targets) out.push(`<details open><summary><b>${t.target}</b></summary>`, '', fence(targetLines(t).join('\n'), 'diff'), '', '</details>', '');
  }
  return out.join('\n');
}
