import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The npm commands `.ci/run` runs, one per line as written there: every CI system must run each of them. */
export function ciRunChecks(): string[] {
  return readFileSync(join(__dirname, '..', '..', '.ci', 'run'), 'utf8')
    .split('\n')
    .filter((l) => /^npm (test|run )/.test(l))
    .map((l) => l.trim());
}
