/** kubectl as a process: which binary, which kubeconfig reaches it (flag or environment), stdin, and version parsing. */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubectl, Kubectl, parseMinor } from '../../../deploy/adapters/kubectl';

/** A kubectl that records its argv, KUBECONFIG and stdin as one JSON line per call. */
function recordingKubectl(dir: string): string {
  const bin = join(dir, 'kubectl');
  writeFileSync(
    bin,
    `#!/usr/bin/env node
const fs = require('node:fs');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  fs.appendFileSync(${JSON.stringify(join(dir, 'calls.log'))}, JSON.stringify({ args: process.argv.slice(2), KUBECONFIG: process.env.KUBECONFIG, KUBECTL_APPLYSET: process.env.KUBECTL_APPLYSET, input }) + '\\n');
  process.stdout.write('ok');
});
`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

const calls = (dir: string) =>
  readFileSync(join(dir, 'calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { args: string[]; KUBECONFIG?: string; KUBECTL_APPLYSET?: string; input: string });

describe('kubectl process', () => {
  test('a KUBECONFIG list reaches kubectl through its environment, not as --kubeconfig (which takes one file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-kubectl-'));
    const kubectl = new Kubectl(recordingKubectl(dir), {}, { PATH: process.env.PATH, KUBECONFIG: '/a:/b' });
    expect(await kubectl.run(['get', 'pods'])).toEqual({ code: 0, stdout: 'ok', stderr: '' });
    expect(calls(dir)).toEqual([{ args: ['get', 'pods'], KUBECONFIG: '/a:/b', input: '' }]);
  });

  test('--kubeconfig and --context go first; input goes through stdin; per-call variables are added', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-kubectl-'));
    let refreshed = 0;
    const kubectl = new Kubectl(recordingKubectl(dir), { kubeconfig: '/k', context: 'ci', beforeRun: async () => void refreshed++ }, { PATH: process.env.PATH });
    await kubectl.run(['apply', '-f', '-'], { input: 'kind: ConfigMap\n', env: { KUBECTL_APPLYSET: 'true' } });
    expect(calls(dir)).toEqual([{ args: ['--kubeconfig=/k', '--context=ci', 'apply', '-f', '-'], KUBECTL_APPLYSET: 'true', input: 'kind: ConfigMap\n' }]);
    expect(refreshed).toBe(1);
  });

  test('a binary that cannot start is exit 127 with the reason', async () => {
    const r = await new Kubectl('/nonexistent/kubectl', {}, {}).run(['version']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/^\/nonexistent\/kubectl: spawn \/nonexistent\/kubectl ENOENT/);
  });
});

describe('finding kubectl', () => {
  test('KUBECTL wins; else the newest version built into the cache; else kubectl on PATH', () => {
    const cache = mkdtempSync(join(tmpdir(), 'deploy-cache-'));
    for (const v of ['k8s-v1.34.9-etcd', 'k8s-v1.35.4-etcd', 'k8s-v1.35.10-etcd']) {
      mkdirSync(join(cache, v, 'bin'), { recursive: true });
      if (v !== 'k8s-v1.35.10-etcd') writeFileSync(join(cache, v, 'bin', 'kubectl'), '');
    }
    expect(findKubectl({ KUBECTL: '/usr/local/bin/kubectl', PLATFORM_CACHE_DIR: cache })).toBe('/usr/local/bin/kubectl');
    expect(findKubectl({ PLATFORM_CACHE_DIR: cache })).toBe(join(cache, 'k8s-v1.35.4-etcd', 'bin', 'kubectl'));
    expect(findKubectl({ PLATFORM_CACHE_DIR: join(cache, 'missing') })).toBe('kubectl');
  });

  test('parses minor versions', () => {
    expect(parseMinor('v1.35.4')).toEqual([1, 35]);
    expect(parseMinor('unknown')).toBeUndefined();
  });
});
