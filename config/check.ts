/**
 * The one validation vocabulary of config/ (and of charts/, which throws the same messages): the patterns every
 * rule shares, and `Checker`, which records one problem per failed rule, each naming where, the field, the value
 * received and what is allowed. No runtime dependencies.
 */
import { AWS_REGIONS } from './regions';

/** A Kubernetes object name / DNS label (RFC 1123). */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A lowercase hostname with at least two labels. */
export const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A URL path (an Ingress rule's prefix, a probe's path). */
export const URL_PATH = /^\/[A-Za-z0-9._~/-]*$/;
/** A 12-digit AWS account ID. */
export const ACCOUNT_ID = /^\d{12}$/;
/** An environment variable name. */
export const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** Parses "a.b.c.d/n" into its first and last address as numbers; undefined when malformed or not aligned. */
export function parseCidr(cidr: unknown): [number, number] | undefined {
  if (typeof cidr !== 'string') return undefined;
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return [address, address + size - 1];
}

/** The names as `"a", "b"` (the "allowed: …" part of a message). */
export function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/** Edit distance between two short strings (case-insensitive): how far a misspelled key is from a known one. */
function distance(a: string, b: string): number {
  const [s, t] = [a.toLowerCase(), b.toLowerCase()];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[t.length];
}

/** The known key closest to `key`, when it is close enough to be a misspelling of it. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Records a problem per failed rule and returns whether the value passed (so dependent rules can be skipped). */
export class Checker {
  constructor(readonly problems: string[] = []) {}

  /** Records a problem as it is (a rule that needs more than one field). An empty `where`: the message alone (a sub-rule, a construct). */
  fail(where: string, message: string): false {
    this.problems.push(where ? `${where}: ${message}` : message);
    return false;
  }

  present(where: string, field: string, value: unknown): boolean {
    if (value === undefined || value === null) return this.fail(where, `${field} is missing; it is required`);
    return true;
  }

  /**
   * Keys of `value` that are not in `known`: each refused, with the closest known key suggested. A misspelled
   * optional key would otherwise be ignored silently (and its default used).
   */
  knownKeys(where: string, field: string, value: unknown, known: readonly string[]): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return true;
    let ok = true;
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const suggestion = closestKey(key, known);
      const at = field ? `${field}.${key}` : key;
      ok = this.fail(where, `${at} is not a known setting${suggestion ? `; did you mean "${suggestion}"?` : ''} (allowed: ${quoted(known)})`);
    }
    return ok;
  }

  matches(where: string, field: string, value: unknown, pattern: RegExp, allowed: string): value is string {
    if (!this.present(where, field, value)) return false;
    if (typeof value !== 'string' || !pattern.test(value)) return this.fail(where, `${field} is ${JSON.stringify(value)}; expected ${allowed}`);
    return true;
  }

  oneOf<T extends string>(where: string, field: string, value: unknown, allowed: readonly T[]): value is T {
    if (!this.present(where, field, value)) return false;
    if (typeof value !== 'string' || !allowed.includes(value as T)) return this.fail(where, `${field} is ${JSON.stringify(value)}; allowed: ${quoted(allowed)}`);
    return true;
  }

  region(where: string, field: string, value: unknown): boolean {
    if (!this.present(where, field, value)) return false;
    if (typeof value !== 'string' || !AWS_REGIONS.includes(value)) {
      return this.fail(where, `${field} is ${JSON.stringify(value)}, which is not a known AWS region; allowed: ${AWS_REGIONS.join(', ')}`);
    }
    return true;
  }

  integer(where: string, field: string, value: unknown, min: number, max: number): value is number {
    if (!this.present(where, field, value)) return false;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(where, `${field} is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}`);
    }
    return true;
  }

  /** A number that may be fractional (a percentage such as 99.5). */
  number(where: string, field: string, value: unknown, min: number, max: number): value is number {
    if (!this.present(where, field, value)) return false;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return this.fail(where, `${field} is ${JSON.stringify(value)}; expected a number from ${min} to ${max}`);
    }
    return true;
  }

  /** Throws `error(message)` for the first problem recorded (a construct's input check: it has no problem list to add to). */
  throwFirst(error: (message: string) => Error): void {
    if (this.problems.length > 0) throw error(this.problems[0]);
  }

  boolean(where: string, field: string, value: unknown): boolean {
    if (!this.present(where, field, value)) return false;
    if (typeof value !== 'boolean') return this.fail(where, `${field} is ${JSON.stringify(value)}; expected true or false`);
    return true;
  }

  /** A non-empty array (or an absent optional one when `optional`). */
  list(where: string, field: string, value: unknown, what: string): value is readonly unknown[] {
    if (!Array.isArray(value) || value.length === 0) return this.fail(where, `${field} is ${JSON.stringify(value)}; expected at least one ${what}`);
    return true;
  }

  cidr(where: string, field: string, value: unknown, minPrefix: number, maxPrefix: number): boolean {
    if (!this.present(where, field, value)) return false;
    const range = parseCidr(value);
    const prefix = typeof value === 'string' ? Number(value.split('/')[1]) : NaN;
    if (!range || prefix < minPrefix || prefix > maxPrefix) {
      return this.fail(
        where,
        `${field} is ${JSON.stringify(value)}; expected an IPv4 CIDR with a prefix from /${minPrefix} to /${maxPrefix} (network address aligned, e.g. "10.10.0.0/16")`,
      );
    }
    return true;
  }
}
