/**
 * A real moto_server (AWS API emulator) on a free loopback port, for one test file. Same approach as
 * test/deploy/moto.ts, kept here so the app's tests depend only on files under test/app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports';

export interface Moto {
  readonly endpoint: string;
  /** moto's last log lines (for failure messages). */
  log(): string;
  /** SIGTERM, then SIGKILL after 3 s. Idempotent; never throws. */
  stop(): Promise<void>;
}

/** Fake keys for the SDK's default chain: never real ones. */
export const FAKE_AWS_CREDENTIALS = { accessKeyId: 'AKIDFAKEFORAPPTESTS00', secretAccessKey: 'fake-secret-key-for-app-tests' };

export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawned) throw new Error(`cannot run moto_server (${spawned.message}): install it with pip install "moto[server]"`);
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    };

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.pid === undefined) break;
      try {
        if ((await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) })).ok) {
          return { endpoint, log: () => output, stop };
        }
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stop();
    // Lost the port to another process between freePort() and the bind: try another one.
    if (attempt < 3 && /address already in use/i.test(output)) continue;
    throw new Error(`moto_server exited (${child.exitCode}) before answering: ${output}`);
  }
}
