/**
 * `npm run deploy -- --env <name> --image <ref> [--outputs cdk-outputs.json] [--kubeconfig <path>] [--dry-run|--diff]`,
 * or `--abort-canary`. See deploy/README.md for the flags, the flow and the exit codes. The configuration, the flags
 * and the process environment are read here, once; the dependencies are resolved into the deploy context here, once.
 * SIGINT/SIGTERM are handled here too: the first cancels the deploy (it cleans up, deploy/cancellation.ts), a second
 * exits at once.
 */
import { renderTarget } from '../../charts/app';
import { ConfigError, validatePlatformConfig } from '../../config';
import { configurationFromArgs } from '../../config/configurations';
import { HelpRequested, parseDeployArgs } from '../args';
import { abortCanary } from '../canary/abort-canary';
import { Cancelled } from '../cancellation';
import { deployContext } from '../context';
import { DeployError, EXIT, type ExitCode } from '../errors';
import { podFailureCheck } from '../phases/pod-failure-check';
import { resultLine, type DeployResult, type EndedOutcome } from '../phases/report';
import { deploy } from '../run';

/** Where the command writes: its report and `deploy-result` line (stdout), its errors (stderr). */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The release (or --abort-canary) as the command runs it: flags, configuration, context, flow. */
async function release(argv: readonly string[], env: NodeJS.ProcessEnv, output: CommandOutput, cancellation: AbortSignal): Promise<DeployResult> {
  // --config <name>: another configuration of config/configurations.ts (e.g. multi-account); the default without it.
  const selected = configurationFromArgs(argv);
  const options = parseDeployArgs(selected.rest, env);
  const config = validatePlatformConfig(selected.config);
  const context = deployContext(options, {
    config,
    render: renderTarget,
    log: output.out,
    env,
    workdir: process.cwd(),
    // A new pod that crash-loops, cannot pull its image or create its container, or misses its startup budget
    // fails the release at once (not after progressDeadlineSeconds).
    rolloutChecks: [podFailureCheck()],
    cancellation,
  });
  return (options.mode === 'abort-canary' ? abortCanary : deploy)(context, options);
}

/** The command: its exit code; the last stdout line is always `deploy-result: {…}` (but for --help). */
export function runDeployCommand(argv: readonly string[], env: NodeJS.ProcessEnv, output: CommandOutput, cancellation: AbortSignal): Promise<number> {
  return reported(() => release(argv, env, output, cancellation), output);
}

/**
 * Runs `work` and turns whatever it ends with into the exit code and the `deploy-result` line: a result, a refusal,
 * a configuration error, a cancellation, or a crash (an internal error, exit 7: never mistaken for exit 5).
 */
export async function reported(work: () => Promise<DeployResult>, output: CommandOutput): Promise<number> {
  try {
    const result = await work();
    output.out(resultLine(result));
    return result.exitCode;
  } catch (e) {
    if (e instanceof HelpRequested) {
      output.out(e.message);
      return EXIT.ok;
    }
    const ended = endedBy(e);
    output.err(`deploy: ${ended.message}`);
    output.out(resultLine(ended));
    return ended.exitCode;
  }
}

function endedBy(e: unknown): { readonly outcome: EndedOutcome; readonly exitCode: ExitCode; readonly message: string } {
  if (e instanceof Cancelled) return { outcome: 'cancelled', exitCode: e.exitCode, message: e.message };
  if (e instanceof DeployError) return { outcome: 'refused', exitCode: e.exitCode, message: e.message };
  if (e instanceof ConfigError) return { outcome: 'invalid-input', exitCode: EXIT.invalidInput, message: e.message };
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { outcome: 'internal-error', exitCode: EXIT.internalError, message: `internal error (a bug; the release may be partly applied): ${detail}` };
}

/** What `cancelOnSignals` needs of the process (an EventEmitter in tests). */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface SignalOptions {
  /** A line to stderr. */
  readonly write: (line: string) => void;
  /** Ends the process with this code. */
  readonly exit: (code: number) => void;
  /**
   * Longest cleanup after the first signal before exiting anyway (exit 4: what it started may be left).
   * @default 20000
   */
  readonly graceMs?: number;
  /** @default - setTimeout, not keeping the process alive */
  readonly setTimer?: (ms: number, run: () => void) => void;
}

/** 128 + the signal's number: the shell's code for a process a signal ended. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The first SIGINT or SIGTERM aborts the returned signal (reason: the signal's name): the deploy stops, cleans up
 * and prints its result (exit 8); a cleanup that hangs ends after `graceMs`. A second signal exits at once.
 */
export function cancelOnSignals(source: SignalSource, options: SignalOptions): AbortSignal {
  const controller = new AbortController();
  const graceMs = options.graceMs ?? 20_000;
  const setTimer = options.setTimer ?? ((ms, run) => setTimeout(run, ms).unref());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    source.on(signal, () => {
      if (controller.signal.aborted) {
        options.write(`deploy: ${signal} again: exiting at once; a canary it started may be left (npm run deploy -- --abort-canary --env <name>), its lock expires within 60 s`);
        options.exit(SIGNAL_EXIT[signal]);
        return;
      }
      options.write(`deploy: ${signal}: stopping — removing what this deploy started, releasing its lock (a second signal exits at once)`);
      controller.abort(signal);
      setTimer(graceMs, () => {
        options.write(`deploy: the cleanup did not end within ${graceMs / 1000} s; exiting (check the workload)`);
        options.exit(EXIT.rollbackFailed);
      });
    });
  }
  return controller.signal;
}

if (require.main === module) {
  const output: CommandOutput = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
  const cancellation = cancelOnSignals(process, { write: output.err, exit: (code) => process.exit(code) });
  void runDeployCommand(process.argv.slice(2), process.env, output, cancellation).then((code) => {
    // Cancelled: the result line is out and the cleanup done; leave now, whatever timer is still pending.
    if (cancellation.aborted) process.exit(code);
    process.exitCode = code;
  });
}
