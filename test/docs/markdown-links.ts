/**
 * Relative links of Markdown files and the headings they point at, as GitHub renders them: a link resolves when its
 * file (or folder) exists and, for a `#anchor` on a Markdown file, when that file has a heading with that slug.
 */
import { posix } from 'node:path';

/** A link that does not resolve: where it is, what it says and why it fails. */
export interface BrokenLink {
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
}

/** What the checker may know about the repository: whether a path exists, and a Markdown file's text. */
export interface MarkdownTree {
  exists(path: string): boolean;
  read(path: string): string;
}

const FENCE = /^\s*(```|~~~)/;
/** Inline links and images `[text](target "title")`; the target may be in angle brackets. */
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g;
/** Reference definitions `[label]: target`. */
const REFERENCE = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
const ATX_HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (FENCE.test(text)) fenced = !fenced;
    else if (!fenced) out.push({ line: index + 1, text });
  });
  return out;
}

/** GitHub's heading slug: the rendered text, lowercased, punctuation and symbols dropped, spaces to `-`. */
export function githubSlug(heading: string): string {
  const rendered = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file's headings define (a repeated heading gets `-1`, `-2`, … as on GitHub). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const match = ATX_HEADING.exec(text);
    if (!match) continue;
    const slug = githubSlug(match[2]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The relative link targets of a Markdown file (no URL with a scheme), outside code blocks and code spans. */
export function relativeLinks(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '');
    const targets = [...prose.matchAll(INLINE_LINK)].map((m) => m[1]);
    const reference = REFERENCE.exec(prose);
    if (reference) targets.push(reference[1]);
    for (const raw of targets) {
      const target = raw.replace(/^<|>$/g, '');
      if (!SCHEME.test(target)) links.push({ line, target });
    }
  }
  return links;
}

/** Why one link of `file` does not resolve, or undefined when it does. */
export function linkProblem(tree: MarkdownTree, file: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const path = decodeURI(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  // GitHub resolves `/x` from the repository's root, anything else from the linking file's folder.
  const base = path.startsWith('/') ? '.' : posix.dirname(file);
  const resolved = path === '' ? file : posix.normalize(posix.join(base, path));
  if (resolved.startsWith('..')) return `it points outside the repository (${resolved})`;
  if (!tree.exists(resolved)) return `${resolved} does not exist`;
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  const anchors = headingAnchors(tree.read(resolved));
  if (anchors.has(anchor)) return undefined;
  return `${resolved} has no heading with anchor #${anchor} (its anchors: ${[...anchors].map((a) => `#${a}`).join(', ') || 'none'})`;
}

/** Every relative link of the given Markdown files (repository-relative, `/`-separated) that does not resolve. */
export function brokenLinks(tree: MarkdownTree, files: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const file of files) {
    for (const { line, target } of relativeLinks(tree.read(file))) {
      const reason = linkProblem(tree, file, target);
      if (reason) broken.push({ file, line, target, reason });
    }
  }
  return broken;
}
