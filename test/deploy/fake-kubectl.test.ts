/**
 * The deploy flow against a scripted kubectl (no cluster): what happens when a call the rollback depends on fails.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployError, EXIT } from '../../deploy/errors';
import { deploy } from '../../deploy/run';
import { config, fakeRender, options } from './fixtures';

/** A kubectl that answers the read-only calls of a healthy cluster and records every call in `calls.log`. */
function fakeKubectl(dir: string, failGetDeployment: boolean): string {
  const bin = join(dir, 'kubectl');
  writeFileSync(
    bin,
    `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--kubeconfig=') && !a.startsWith('--context='));
fs.appendFileSync(${JSON.stringify(join(dir, 'calls.log'))}, args.join(' ') + '\\n');
fs.appendFileSync(${JSON.stringify(join(dir, 'target.log'))}, JSON.stringify({ flags: process.argv.slice(2).filter((a) => a.startsWith('--kubeconfig=')), KUBECONFIG: process.env.KUBECONFIG }) + '\\n');
const has = (...words) => words.every((w) => args.includes(w));
const out = (v) => { process.stdout.write(typeof v === 'string' ? v : JSON.stringify(v)); process.exit(0); };
if (has('version', '--client')) out({ clientVersion: { gitVersion: 'v1.35.4' } });
if (has('config', 'view')) out({ clusters: [{ cluster: { server: 'https://127.0.0.1:6443' } }] });
if (args.includes('--raw=/version')) out({ gitVersion: 'v1.35.4' });
if (has('get', 'namespace')) out({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: {} } });
if (has('auth', 'can-i')) out('yes\\n');
if (has('apply') && args.some((a) => a.startsWith('--dry-run'))) out('');
if (has('get', 'deployment') && ${failGetDeployment}) { process.stderr.write('Unable to connect to the server: i/o timeout'); process.exit(1); }
process.stderr.write('unexpected call: ' + args.join(' '));
process.exit(9);
`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

test('refuses before applying anything when the running Deployment cannot be read (no revision to roll back to)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-fake-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const env = { PATH: process.env.PATH, KUBECTL: fakeKubectl(dir, true) };
  const run = deploy(options({ image: 'registry.local/web:1.0.0', kubeconfig }), { config, render: fakeRender, log: () => undefined, env, workdir: dir, pollMs: 10 });
  await expect(run).rejects.toThrow(DeployError);
  await expect(run).rejects.toMatchObject({ exitCode: EXIT.clusterUnreachable, message: expect.stringMatching(/^cannot read deployment\/web in web .*\(nothing applied\): Unable to connect/) });
  const calls = readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
  expect(calls.filter((c) => c.startsWith('apply') && !c.includes('--dry-run'))).toEqual([]);
  expect(existsSync(join(dir, '.deploy', 'generic', 'manifests.yaml'))).toBe(true);
});

test('a KUBECONFIG list (portable target) reaches kubectl through its environment, not as --kubeconfig (which takes one file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-fake-kubectl-'));
  const first = join(dir, 'a');
  writeFileSync(first, 'apiVersion: v1\nkind: Config\n');
  const list = `${first}:${join(dir, 'b')}`;
  const env = { PATH: process.env.PATH, KUBECTL: fakeKubectl(dir, true), KUBECONFIG: list };
  const run = deploy(options({ image: 'registry.local/web:1.0.0' }), { config, render: fakeRender, log: () => undefined, env, workdir: dir, pollMs: 10 });
  await expect(run).rejects.toMatchObject({ exitCode: EXIT.clusterUnreachable });
  const targets = readFileSync(join(dir, 'target.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { flags: string[]; KUBECONFIG?: string });
  expect(targets.length).toBeGreaterThan(3);
  for (const t of targets) expect(t).toEqual({ flags: [], KUBECONFIG: list });
});

test('fails when the kubeconfig is missing, before anything is read from AWS or the cluster', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-fake-kubectl-'));
  const env = { PATH: process.env.PATH, KUBECTL: fakeKubectl(dir, false), KUBECONFIG: join(dir, 'missing') };
  const deps = { config, render: fakeRender, log: () => undefined, env, workdir: dir };
  await expect(deploy(options({ image: 'registry.local/web:1.0.0' }), deps)).rejects.toMatchObject({ exitCode: EXIT.invalidInput, message: `KUBECONFIG ${join(dir, 'missing')} does not exist` });
  await expect(deploy(options({ image: 'registry.local/web:1.0.0', kubeconfig: join(dir, 'nope') }), deps)).rejects.toMatchObject({
    exitCode: EXIT.invalidInput,
    message: `--kubeconfig ${join(dir, 'nope')} does not exist`,
  });
  expect(existsSync(join(dir, 'calls.log'))).toBe(false);
});
