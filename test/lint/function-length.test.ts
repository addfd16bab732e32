/**
 * Functions stay within 60 lines in deploy/, infra/, charts/ and config/ (eslint.config.mjs, max-lines-per-function):
 * a 61-line function in each folder is an error, a 60-line one is not, and the rule leaves other folders alone.
 */
import { lintText } from './lint-text';

/** A function of exactly `lines` lines (its signature and closing brace included). */
function functionOf(lines: number): string {
  const body = Array.from({ length: lines - 4 }, (_, i) => `  total += ${i};`);
  return ['export function long(): number {', '  let total = 0;', ...body, '  return total;', '}', ''].join('\n');
}

const FOLDERS = ['deploy/phases', 'infra/constructs', 'charts', 'config'];

jest.setTimeout(60_000);
let results: string[][];
beforeAll(() => {
  results = lintText(
    [
      ...FOLDERS.map((folder): [string, string] => [`${folder}/too-long.ts`, functionOf(61)]),
      ...FOLDERS.map((folder): [string, string] => [`${folder}/fits.ts`, functionOf(60)]),
      ['scripts/too-long.ts', functionOf(61)],
    ],
    'max-lines-per-function',
  );
});

test('the fixtures have the lengths they claim', () => {
  expect(functionOf(61).trimEnd().split('\n')).toHaveLength(61);
  expect(functionOf(60).trimEnd().split('\n')).toHaveLength(60);
});

test.each(FOLDERS.map((folder, i) => [folder, i] as const))('a 61-line function in %s/ is an error', (_folder, i) => {
  expect(results[i]).toEqual([expect.stringMatching(/too many lines \(61\)\. Maximum allowed is 60/)]);
});

test.each(FOLDERS.map((folder, i) => [folder, FOLDERS.length + i] as const))('a 60-line function in %s/ is allowed', (_folder, i) => {
  expect(results[i]).toEqual([]);
});

test('the limit is not applied elsewhere (scripts/)', () => {
  expect(results[2 * FOLDERS.length]).toEqual([]);
});
