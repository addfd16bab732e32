/**
 * Lints code as if it were at the given repository paths, with the repository's own eslint.config.mjs, in one node
 * process (ESLint loads its config with a dynamic import, which jest's module sandbox does not offer). Returns each
 * case's messages of rule `ruleId`, in order.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function lintText(cases: readonly (readonly [filePath: string, code: string])[], ruleId: string): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const [cases, ruleId] = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const [filePath, code] of cases) {
        const [result] = await eslint.lintText(code, { filePath });
        out.push(result.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify([cases, ruleId])], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' }));
}
