/**
 * The one logger of a Bastion process. Every component (worker, activities, workflow
 * sandbox, bundler, connection, certificate watcher, expiry warnings, codec server, dev
 * server) takes a {@link Logger}: short message, details in `meta`, never a secret. When none
 * is given they all write through one process-wide default, set the official SDK's way
 * (`Runtime.install({ logger: new DefaultLogger('WARN') })`) or by `BASTION_LOG_LEVEL`
 * (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `OFF`) and `BASTION_LOG_FORMAT` (`text` or `json`).
 *
 * One line format for the whole process:
 * `2026-12-03T06:58:40.366Z WARN dev server refused a TLS handshake {"peer":"127.0.0.1:49646"}`,
 * or with `json`, one JSON object per line: `{"time":"…","level":"WARN","message":"…",…meta}`.
 */
import { invalidOption } from './errors';

/** Levels, as the official SDK spells them (lower case is accepted too). */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Details of a log line: plain data, never a secret. */
export type LogMeta = Record<string, unknown>;

/**
 * What every component logs to. `trace` is optional (components fall back to nothing);
 * a pino or winston logger with `(message, meta)` methods fits, and so does the official
 * SDK's `DefaultLogger`.
 */
export interface Logger {
  trace?(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
}

/** One line as {@link DefaultLogger} hands it to a custom log function (the official `LogEntry` shape). */
export interface LogEntry {
  level: LogLevel;
  message: string;
  meta?: LogMeta;
  /** Nanoseconds since the epoch, as a bigint (the official SDK's field). */
  timestampNanos: bigint;
}

/** `text` lines or JSON lines. @default 'text', or `BASTION_LOG_FORMAT` */
export type LogFormat = 'text' | 'json';

const ORDER: Record<LogLevel | 'OFF', number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, OFF: 5 };

/** The default level of the process-wide logger. @default 'INFO' */
export const DEFAULT_LOG_LEVEL: LogLevel = 'INFO';

/**
 * Reads a level as users write it (`warn`, `WARN`, `off`).
 * @throws {ConfigError} `ERR_INVALID_OPTION` naming `option` and the levels
 */
export function parseLogLevel(value: unknown, option: string): LogLevel | 'OFF' {
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  if (upper !== undefined && upper in ORDER) return upper as LogLevel | 'OFF';
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : typeof value;
  throw invalidOption(option, `must be one of TRACE, DEBUG, INFO, WARN, ERROR or OFF (any case); got ${shown}.`);
}

function parseFormat(value: unknown, option: string): LogFormat {
  if (value === 'text' || value === 'json') return value;
  throw invalidOption(option, `must be "text" or "json"; got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : typeof value}.`);
}

/** Meta as JSON that cannot throw (cycles, BigInt) and never prints an Error's stack. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error)
      return { name: v.name, message: v.message, ...((v as { code?: unknown }).code !== undefined ? { code: (v as { code?: unknown }).code } : {}) };
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

/** Options of {@link DefaultLogger} besides the level. */
export interface DefaultLoggerOptions {
  /** @default 'text', or `BASTION_LOG_FORMAT` */
  format?: LogFormat;
  /** Where finished lines go. @default process.stderr */
  write?: (line: string) => void;
}

/**
 * Writes lines at `level` and above to stderr in the one Bastion format. Takes the official
 * SDK's arguments too: `new DefaultLogger('WARN', (entry) => …)` hands each entry to that
 * function instead of writing it.
 */
export class DefaultLogger implements Logger {
  readonly level: LogLevel | 'OFF';
  private readonly min: number;
  private readonly format: LogFormat;
  private readonly sink?: (entry: LogEntry) => void;
  private readonly write: (line: string) => void;

  constructor(
    level: LogLevel | Lowercase<LogLevel> | 'OFF' | 'off' = DEFAULT_LOG_LEVEL,
    optionsOrLogFunction?: DefaultLoggerOptions | ((entry: LogEntry) => void),
  ) {
    this.level = parseLogLevel(level, 'DefaultLogger level');
    this.min = ORDER[this.level];
    const options = typeof optionsOrLogFunction === 'object' && optionsOrLogFunction !== null ? optionsOrLogFunction : {};
    if (typeof optionsOrLogFunction === 'function') this.sink = optionsOrLogFunction;
    this.format = options.format === undefined ? envFormat() : parseFormat(options.format, 'DefaultLogger format');
    this.write = options.write ?? ((line) => void process.stderr.write(line));
  }

  log(level: LogLevel, message: string, meta?: LogMeta): void {
    if (ORDER[level] < this.min) return;
    if (this.sink) {
      this.sink({ level, message, meta, timestampNanos: BigInt(Date.now()) * 1_000_000n });
      return;
    }
    const time = new Date().toISOString();
    const hasMeta = meta !== undefined && Object.keys(meta).length > 0;
    this.write(
      this.format === 'json'
        ? `${safeJson({ time, level, message, ...(hasMeta ? meta : {}) })}\n`
        : `${time} ${level} ${message}${hasMeta ? ` ${safeJson(meta)}` : ''}\n`,
    );
  }

  trace(message: string, meta?: LogMeta): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMeta): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMeta): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMeta): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMeta): void {
    this.log('ERROR', message, meta);
  }
}

function envFormat(): LogFormat {
  const raw = process.env.BASTION_LOG_FORMAT;
  return raw === undefined || raw === '' ? 'text' : parseFormat(raw, 'BASTION_LOG_FORMAT');
}

/** `BASTION_LOG_LEVEL` when set. @throws {ConfigError} for a value that is not a level */
export function envLogLevel(): LogLevel | 'OFF' | undefined {
  const raw = process.env.BASTION_LOG_LEVEL;
  return raw === undefined || raw === '' ? undefined : parseLogLevel(raw, 'BASTION_LOG_LEVEL');
}

/** A logger that drops everything (for tests and for `logLevel: 'off'`). */
export const silentLogger: Logger = Object.freeze({
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

let installed: Logger | undefined;
let fallback: Logger | undefined;

/** The process-wide logger now: the installed one, or a DefaultLogger at `BASTION_LOG_LEVEL` (else INFO). */
function current(): Logger {
  if (installed) return installed;
  fallback ??= new DefaultLogger(envLogLevel() ?? DEFAULT_LOG_LEVEL);
  return fallback;
}

/**
 * The process-wide logger as a stable object: components keep it, and it follows a later
 * `Runtime.install({ logger })`.
 */
export const processLogger: Logger = Object.freeze({
  trace: (message: string, meta?: LogMeta) => current().trace?.(message, meta),
  debug: (message: string, meta?: LogMeta) => current().debug(message, meta),
  info: (message: string, meta?: LogMeta) => current().info(message, meta),
  warn: (message: string, meta?: LogMeta) => current().warn(message, meta),
  error: (message: string, meta?: LogMeta) => current().error(message, meta),
});

/** Options of {@link Runtime.install}, as in the official SDK (`logger` and `telemetryOptions`). */
export interface RuntimeOptions {
  logger?: Logger;
  /**
   * Process-wide metrics: `{ metrics: { prometheus: { bindAddress: '0.0.0.0:9464' } } }` serves
   * Temporal's SDK metrics (and `/healthz`, `/readyz`) there; `{ metrics: { meterProvider } }`
   * records through an OpenTelemetry MeterProvider. See docs/observability.md.
   */
  telemetryOptions?: import('../observability/runtime-telemetry').TelemetryOptions;
}

/**
 * The process-wide settings, as the official SDK's `Runtime`: install once at start-up,
 * before creating workers and connections (those created earlier follow too).
 */
export class Runtime {
  private static instanceValue: Runtime | undefined;

  private constructor(
    readonly logger: Logger,
    /** The process-wide metrics of `telemetryOptions` (its `metricsServer` once listening). */
    readonly telemetry?: import('../observability/runtime-telemetry').InstalledTelemetry,
  ) {}

  /**
   * Sets the process-wide logger and metrics (a later call replaces both, and closes the
   * previous metrics server).
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `logger` lacks a method or a telemetry option is malformed;
   *   `ERR_OPTIONAL_PEER_MISSING` for metrics without `prom-client`
   */
  static install(options: RuntimeOptions = {}): Runtime {
    const logger = options.logger;
    if (logger !== undefined) {
      for (const m of ['debug', 'info', 'warn', 'error'] as const) {
        if (typeof (logger as unknown as Record<string, unknown>)?.[m] !== 'function')
          throw invalidOption('logger', `must have ${m}(message, meta) (and debug, info, warn, error); for example \`new DefaultLogger('WARN')\`.`);
      }
    }
    // Loaded only when asked for: the metrics layer (and its optional peers) costs nothing otherwise.
    const telemetry =
      options.telemetryOptions !== undefined || Runtime.instanceValue?.telemetry
        ? (require('../observability/runtime-telemetry') as typeof import('../observability/runtime-telemetry')).installTelemetry(
            options.telemetryOptions,
            logger ?? current(),
          )
        : undefined;
    installed = logger;
    Runtime.instanceValue = new Runtime(logger ?? current(), telemetry);
    return Runtime.instanceValue;
  }

  /** Whether `Runtime.install` set a logger. */
  static isInstalled(): boolean {
    return installed !== undefined;
  }

  /** The installed runtime, or one with the default logger. */
  static instance(): Runtime {
    return (Runtime.instanceValue ??= new Runtime(current()));
  }
}

/** Wraps `logger` so that lines below `level` are dropped (the dev server's own default is WARN). */
export function withLevel(logger: Logger, level: LogLevel | 'OFF'): Logger {
  const min = ORDER[level];
  const at = (l: LogLevel, fn: ((m: string, meta?: LogMeta) => void) | undefined) => (ORDER[l] < min || !fn ? () => undefined : fn.bind(logger));
  return {
    trace: at('TRACE', logger.trace),
    debug: at('DEBUG', logger.debug),
    info: at('INFO', logger.info),
    warn: at('WARN', logger.warn),
    error: at('ERROR', logger.error),
  };
}
