/**
 * The built command as a process (`node dist/…` from deploy/commands/deploy.ts) sent SIGTERM mid-rollout, against a
 * fake kubectl (a script that answers like a cluster whose rollout never ends and logs every call): the real signal
 * handler, the real clock's cancelled sleep, kubectl in its own process group, and the exit.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(__dirname, '..', '..', '..');
const bundle = join(root, 'dist', `deploy-signal-test-${process.pid}.js`);

/** Answers every call the deploy makes; the Lease lives in a file; deployment/web runs revision 4 and never completes. */
const FAKE_KUBECTL = `
const fs = require('node:fs');
const path = require('node:path');
const yaml = require(${JSON.stringify(require.resolve('js-yaml'))});
const dir = process.env.FAKE_KUBECTL_DIR;
const args = process.argv.slice(2).filter((a) => !a.startsWith('--kubeconfig='));
const line = args.join(' ');
fs.appendFileSync(path.join(dir, 'calls.log'), line + '\\n');
// One file per Lease (the workload's lock, the namespace-level objects' lock).
const lease = (name) => path.join(dir, 'lease-' + name + '.json');
const stdin = () => fs.readFileSync(0, 'utf8');
const out = (v) => process.stdout.write(typeof v === 'string' ? v : JSON.stringify(v));
const deployment = {
  metadata: { name: 'web', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '4' } },
  spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'registry.local/web:1.0.0' }] } } },
  status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 },
};
if (line.startsWith('version --client')) out({ clientVersion: { gitVersion: 'v1.35.4' } });
else if (line.startsWith('config view')) out({ clusters: [{ cluster: { server: 'https://127.0.0.1:6443' } }] });
else if (line.startsWith('get --raw=/version')) out({ gitVersion: 'v1.35.4' });
else if (line.startsWith('get namespace')) out({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
else if (line.startsWith('auth can-i')) out('yes\\n');
else if (line.startsWith('get deployment web -n')) out(deployment);
else if (line.startsWith('get lease')) out(fs.existsSync(lease(args[2])) ? fs.readFileSync(lease(args[2]), 'utf8') : '');
else if (line.startsWith('create -f -') || line.startsWith('replace -f -')) {
  const object = yaml.load(stdin());
  fs.writeFileSync(lease(object.metadata.name), JSON.stringify({ ...object, metadata: { ...object.metadata, resourceVersion: String(Date.now()) } }));
  out('lease.coordination.k8s.io/' + object.metadata.name + ' created\\n');
} else if (line.startsWith('delete lease')) { fs.rmSync(lease(args[2]), { force: true }); out('deleted\\n'); }
else if (line.startsWith('apply')) { stdin(); out('applied\\n'); }
else if (line.startsWith('get pods') || line.startsWith('get events') || line.startsWith('get --raw')) out({ items: [] });
else if (line.startsWith('rollout undo')) out('deployment.apps/web rolled back\\n');
else if (args[0] === 'get') out('');
else { process.stderr.write('fake kubectl: unexpected ' + line); process.exit(1); }
`;

jest.setTimeout(60_000);

beforeAll(async () => {
  await build({
    entryPoints: [join(root, 'deploy/commands/deploy.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
});
afterAll(() => rmSync(bundle, { force: true }));

/** Resolves once `file` holds a line matching `pattern` (polls every 50 ms). */
async function waitForLine(file: string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(
    existsSync(file) &&
    readFileSync(file, 'utf8')
      .split('\n')
      .some((l) => pattern.test(l))
  )) {
    if (Date.now() > deadline) throw new Error(`no line ${pattern} in ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGTERM during the rolling update: rolled back, lock released, result line, exit 8, within seconds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-signal-'));
  const kubectl = join(dir, 'kubectl');
  writeFileSync(kubectl, `#!${process.execPath}\n${FAKE_KUBECTL}`);
  chmodSync(kubectl, 0o755);
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  const env = { PATH: process.env.PATH, HOME: dir, KUBECTL: kubectl, FAKE_KUBECTL_DIR: dir };
  const child = spawn(process.execPath, [bundle, '--env', 'generic', '--image', 'registry.local/web:1.0.1', '--workload', 'web', '--kubeconfig', join(dir, 'kubeconfig')], {
    cwd: dir,
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

  const calls = join(dir, 'calls.log');
  await waitForLine(calls, /^apply .*--applyset=platform-release-web/);
  await waitForLine(calls, /^get deployment web -n web/); // watching the rollout
  const signalled = Date.now();
  child.kill('SIGTERM');
  const code = await exited;
  const seconds = (Date.now() - signalled) / 1000;

  expect({ code, stderr: stderr.split('\n')[0] }).toEqual({
    code: 8,
    stderr: 'deploy: SIGTERM: stopping — removing what this deploy started, releasing its lock (a second signal exits at once)',
  });
  expect(seconds).toBeLessThan(5);
  expect(stdout.trimEnd().split('\n').at(-1)).toBe('deploy-result: {"outcome":"cancelled","exitCode":8}');
  const log = readFileSync(calls, 'utf8').trimEnd().split('\n');
  const undo = log.indexOf('rollout undo deployment/web -n web --to-revision=4');
  expect(undo).toBeGreaterThan(0);
  expect(log.slice(undo + 1)).toEqual([
    'get lease.coordination.k8s.io platform-deploy-lock-web -n web -o json --ignore-not-found',
    'delete lease.coordination.k8s.io platform-deploy-lock-web -n web --ignore-not-found',
  ]);
  expect(readdirSync(dir).filter((f) => f.startsWith('lease-'))).toEqual([]);
});
