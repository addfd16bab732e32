/**
 * The deploy command's entry point: the signal handling (first signal cancels, a second exits at once) and how every
 * way a deploy ends becomes an exit code and the `deploy-result` line (a configuration error and a crash included).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../config';
import { Cancelled } from '../../../deploy/cancellation';
import { cancelOnSignals, reported, runDeployCommand, type CommandOutput } from '../../../deploy/commands/deploy';
import { deployContext } from '../../../deploy/context';
import { EXIT, inputError } from '../../../deploy/errors';
import { deploy } from '../../../deploy/run';
import { FakeClock, FakeCluster } from '../fake-cluster';
import { config, fakeRender, options } from '../fixtures';

function output(): CommandOutput & { readonly stdout: string[]; readonly stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

function signals(graceMs?: number) {
  const source = new EventEmitter();
  const written: string[] = [];
  const exits: number[] = [];
  const timers: { ms: number; run: () => void }[] = [];
  const signal = cancelOnSignals(source, { write: (l) => written.push(l), exit: (c) => exits.push(c), graceMs, setTimer: (ms, run) => timers.push({ ms, run }) });
  return { source, signal, written, exits, timers };
}

describe('signals', () => {
  test('the first SIGTERM cancels the deploy (reason: the signal) and exits nothing yet; a second signal exits at once', () => {
    const { source, signal, written, exits } = signals();
    expect(signal.aborted).toBe(false);
    source.emit('SIGTERM');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('SIGTERM');
    expect(exits).toEqual([]);
    expect(written).toEqual(['deploy: SIGTERM: stopping — removing what this deploy started, releasing its lock (a second signal exits at once)']);
    source.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(written[1]).toMatch(/^deploy: SIGINT again: exiting at once; a canary it started may be left \(npm run deploy -- --abort-canary --env <name>\)/);
    expect(signal.reason).toBe('SIGTERM');
  });

  test('a second SIGTERM exits 143; a cleanup that hangs past the grace period exits 4', () => {
    const first = signals();
    first.source.emit('SIGINT');
    first.source.emit('SIGTERM');
    expect(first.exits).toEqual([143]);

    const hung = signals(5_000);
    hung.source.emit('SIGINT');
    expect(hung.timers.map((t) => t.ms)).toEqual([5_000]);
    hung.timers[0].run();
    expect(hung.exits).toEqual([EXIT.rollbackFailed]);
    expect(hung.written.at(-1)).toBe('deploy: the cleanup did not end within 5 s; exiting (check the workload)');
  });

  test('the default grace period is 20 s', () => {
    const { source, timers } = signals();
    source.emit('SIGTERM');
    expect(timers.map((t) => t.ms)).toEqual([20_000]);
  });
});

describe('how a deploy ends: exit code and result line', () => {
  test.each([
    ['a result', async () => ({ outcome: 'applied' as const, exitCode: EXIT.ok }), EXIT.ok, 'deploy-result: {"outcome":"applied","exitCode":0}'],
    [
      'a refusal',
      async () => {
        throw inputError('--env nope is not an environment');
      },
      EXIT.invalidInput,
      'deploy-result: {"outcome":"refused","exitCode":2}',
    ],
    [
      'an invalid configuration',
      async () => {
        throw new ConfigError(['environments[0].region "mars-1" is not a region']);
      },
      EXIT.invalidInput,
      'deploy-result: {"outcome":"invalid-input","exitCode":2}',
    ],
    [
      'a cancellation',
      async () => {
        throw new Cancelled('SIGTERM');
      },
      EXIT.cancelled,
      'deploy-result: {"outcome":"cancelled","exitCode":8}',
    ],
    [
      'a crash',
      async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'spec')");
      },
      EXIT.internalError,
      'deploy-result: {"outcome":"internal-error","exitCode":7}',
    ],
  ])('%s', async (_name, work, code, line) => {
    const out = output();
    expect(await reported(work, out)).toBe(code);
    expect(out.stdout.at(-1)).toBe(line);
  });

  test('a crash is an internal error (exit 7, with its stack), never "the API server rejected objects" (5)', async () => {
    const cluster = new FakeCluster();
    cluster.clientVersion = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'gitVersion')");
    };
    const dir = mkdtempSync(join(tmpdir(), 'deploy-command-'));
    writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    const release = options({ image: 'registry.local/web:1.0.1', kubeconfig: join(dir, 'kubeconfig') });
    const context = deployContext(release, { config, render: fakeRender, log: () => undefined, env: {}, workdir: dir, clock: new FakeClock(), openCluster: () => cluster });
    const out = output();
    expect(await reported(() => deploy(context, release), out)).toBe(7);
    expect(out.stderr[0]).toMatch(
      /^deploy: internal error \(a bug; the release may be partly applied\): TypeError: Cannot read properties of undefined \(reading 'gitVersion'\)\n {4}at /,
    );
    expect(out.stdout.at(-1)).toBe('deploy-result: {"outcome":"internal-error","exitCode":7}');
  });

  test('the command: an unknown configuration prints the result line too (exit 2), and names what exists', async () => {
    const out = output();
    const code = await runDeployCommand(['--config', 'nope', '--env', 'generic', '--image', 'registry.local/web:1.0.1'], {}, out, new AbortController().signal);
    expect(code).toBe(EXIT.invalidInput);
    expect(out.stderr).toEqual([
      expect.stringMatching(/^deploy: Invalid platform configuration:\n\s*- unknown configuration "nope"; allowed: "default", "multi-account", "local", "local-canary"/),
    ]);
    expect(out.stdout).toEqual(['deploy-result: {"outcome":"invalid-input","exitCode":2}']);
  });

  test('the command: a bad flag is refused with the result line (exit 2)', async () => {
    const out = output();
    expect(await runDeployCommand(['--env', 'generic', '--image', 'registry.local/web:latest'], {}, out, new AbortController().signal)).toBe(EXIT.invalidInput);
    expect(out.stdout.at(-1)).toBe('deploy-result: {"outcome":"refused","exitCode":2}');
  });
});
