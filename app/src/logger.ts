/** Structured JSON logs, one object per line on stdout (errors on stderr). Callers never pass secrets. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LogSink {
  write(line: string): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Turns an unknown thrown value into loggable fields: name, message and errno code, never the stack. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: { name: error.name, message: error.message, ...(code ? { code } : {}) } };
  }
  return { error: { message: String(error) } };
}

export function createLogger(options: { level?: LogLevel; base?: LogFields; out?: LogSink; err?: LogSink; now?: () => Date } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (ORDER[level] < min) return;
    const line = JSON.stringify({ time: now().toISOString(), level, msg, ...options.base, ...fields });
    (level === 'error' ? err : out).write(`${line}\n`);
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}
