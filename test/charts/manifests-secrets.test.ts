import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAll } from 'js-yaml';

/** Every committed file under manifests/ (the repository's copy, not a fresh synth). */
function committedFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? committedFiles(path) : [path];
  });
}

const root = join(__dirname, '..', '..', 'manifests');
const files = committedFiles(root);

const FORBIDDEN: [string, RegExp][] = [
  ['an AWS access key ID', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a client secret value', /clientSecret["']?\s*[:=]\s*["']?[^\s"',}]+/i],
  ['a password value', /password["']?\s*[:=]\s*["']?[^\s"',}]+/i],
  ['a bearer token', /\bBearer\s+[A-Za-z0-9._~+/-]{20,}/],
  ['an AWS secret access key assignment', /aws_secret_access_key\s*[:=]/i],
];

describe('committed manifests', () => {
  test('exist for every target', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  test.each(files.map((f) => [relative(root, f), f]))('%s holds no secret value', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    for (const [what, pattern] of FORBIDDEN) {
      expect({ what, match: pattern.exec(text)?.[0] }).toEqual({ what, match: undefined });
    }
    for (const doc of loadAll(text) as { kind?: string; data?: unknown; stringData?: unknown }[]) {
      if (doc?.kind === 'Secret') {
        expect({ secretWithData: doc.data ?? doc.stringData }).toEqual({ secretWithData: undefined });
      }
    }
  });
});
