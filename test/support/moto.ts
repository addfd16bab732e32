/**
 * A real moto_server (AWS API emulator) on a free loopback port, for one test file: the Lambda, deploy-command and
 * sample-service tests all test their AWS calls against it rather than against hand-written fakes.
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
export const FAKE_AWS_CREDENTIALS = { accessKeyId: 'AKIDFAKEFORTESTS0000', secretAccessKey: 'fake-secret-for-tests' };

export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // Own process group, so stop() also reaches a python process behind a version-manager shim.
    const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawned) throw new Error(`cannot run moto_server (${spawned.message}): install it with pip install "moto[server]"`);
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), name);
      } catch {
        // already gone
      }
    };
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 3000);
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

/** Puts fake credentials in process.env for the SDK's default chain (never real ones); returns the undo. */
export function useFakeAwsCredentials(): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: 'fake-session-token',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  });
  delete process.env.AWS_PROFILE;
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

/**
 * One moto_server and fake credentials for the calling test file: started before its tests, stopped after.
 * Returns the running server (read it inside tests and hooks, not at module load).
 */
export function motoForThisFile(): () => Moto {
  let moto: Moto | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    restoreEnv = useFakeAwsCredentials();
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
    restoreEnv?.();
  });
  return () => {
    if (!moto) throw new Error('moto is not running yet: use it inside a test or hook');
    return moto;
  };
}
