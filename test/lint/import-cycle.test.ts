/**
 * `npm run lint` fails on an import cycle (eslint.config.mjs: local/no-import-cycle, eslint-rules/no-import-cycle.mjs),
 * type-only and dynamic imports included: the deliberate cycles in test/lint/fixtures/import-cycle/ are errors that
 * name the whole cycle; a file that only imports into a cycle is not.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const FIXTURES = 'test/lint/fixtures/import-cycle';

/**
 * Lints the fixtures with the repository's own eslint.config.mjs (which ignores the fixture folder everywhere else),
 * in one node process (ESLint loads its config with a dynamic import, which jest's module sandbox does not offer).
 */
function cycleErrors(): Record<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd(), ignore: false });
      const results = await eslint.lintFiles([process.argv[1]]);
      const out = {};
      for (const r of results) {
        out[require('node:path').basename(r.filePath)] = r.messages.filter((m) => m.ruleId === 'local/no-import-cycle').map((m) => m.line + ': ' + m.message);
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, FIXTURES], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' }));
}

jest.setTimeout(60_000);
let errors: Record<string, string[]>;
beforeAll(() => {
  errors = cycleErrors();
});

const cycle = (...files: string[]) => `Import cycle: ${files.map((f) => `${FIXTURES}/${f}`).join(' → ')}. Move what both need into a module that neither imports back.`;

describe('import cycles', () => {
  test('a value import answered by a type-only import back is a cycle, reported in both files', () => {
    expect(errors['flow.ts']).toEqual([`2: ${cycle('flow.ts', 'abort.ts', 'flow.ts')}`]);
    expect(errors['abort.ts']).toEqual([`1: ${cycle('abort.ts', 'flow.ts', 'abort.ts')}`]);
  });

  test('a longer cycle closed by a dynamic import is reported with every file on it', () => {
    expect(errors['ring-1.ts']).toEqual([`1: ${cycle('ring-1.ts', 'ring-2.ts', 'ring-3.ts', 'ring-1.ts')}`]);
    expect(errors['ring-2.ts']).toEqual([`1: ${cycle('ring-2.ts', 'ring-3.ts', 'ring-1.ts', 'ring-2.ts')}`]);
    expect(errors['ring-3.ts']).toEqual([`2: ${cycle('ring-3.ts', 'ring-1.ts', 'ring-2.ts', 'ring-3.ts')}`]);
  });

  test('importing into a cycle without being imported back is no cycle', () => {
    expect(errors['entry.ts']).toEqual([]);
  });
});
