/**
 * A small, fast YAML writer for Kubernetes objects (plain data: maps, lists, strings, numbers, booleans, null).
 *
 * js-yaml's dump is general and correct but costs ~100 ms per process to warm up for a few dozen objects; this
 * writer takes ~1 ms and is conservative: a string is written plain only when no YAML 1.1 or 1.2 parser
 * (kubectl and the API server use YAML 1.1 rules) could read it as anything but that string; otherwise it is
 * JSON-quoted, which is valid YAML. Tests load every output back with js-yaml and compare.
 */
const SAFE_PLAIN = /^[A-Za-z_/<][A-Za-z0-9_./<>:@=+%-]*$/;
const YAML11_SPECIAL = /^(y|yes|n|no|true|false|on|off|null|~)$/i;
/** Digit-led strings that no YAML schema reads as a number or a timestamp: CIDRs, percentages, quantities. */
const SAFE_DIGIT_LED = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|\d+%|\d+(m|Ki|Mi|Gi|Ti))$/;

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write the number ${value} to YAML`);
    return String(value);
  }
  if (typeof value === 'string') {
    const plain = SAFE_DIGIT_LED.test(value) || (SAFE_PLAIN.test(value) && !YAML11_SPECIAL.test(value) && !value.endsWith(':') && !value.startsWith('<<') && !value.includes(': '));
    return plain ? value : JSON.stringify(value);
  }
  throw new Error(`cannot write a ${typeof value} to YAML`);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function entries(map: Record<string, unknown>): [string, unknown][] {
  return Object.entries(map).filter(([, v]) => v !== undefined);
}

function block(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isMap(item) && entries(item).length > 0) {
        const lines: string[] = [];
        block(item, `${indent}  `, lines);
        out.push(`${indent}- ${lines[0].slice(indent.length + 2)}`, ...lines.slice(1));
      } else if (Array.isArray(item) && item.length > 0) {
        out.push(`${indent}-`);
        block(item, `${indent}  `, out);
      } else {
        out.push(`${indent}- ${inline(item)}`);
      }
    }
    return;
  }
  for (const [key, v] of entries(value as Record<string, unknown>)) {
    if ((isMap(v) && entries(v).length > 0) || (Array.isArray(v) && v.length > 0)) {
      out.push(`${indent}${scalar(key)}:`);
      block(v, `${indent}  `, out);
    } else {
      out.push(`${indent}${scalar(key)}: ${inline(v)}`);
    }
  }
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (isMap(value)) return '{}';
  return scalar(value);
}

/** One YAML document (no `---`), ending with a newline. */
export function toYamlDocument(object: object): string {
  const out: string[] = [];
  block(object, '', out);
  return `${out.join('\n')}\n`;
}
