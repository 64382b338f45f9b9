/**
 * The dev server's logging: the process's one {@link Logger} (src/common/logger.ts), at the
 * dev server's own default level (WARN, as `temporal server start-dev`), or the level of
 * `--log-level` / `logLevel` / `BASTION_LOG_LEVEL`.
 */
import { DefaultLogger, envLogLevel, parseLogLevel, processLogger, Runtime, silentLogger, withLevel, type Logger } from '../common/logger';

export type { Logger } from '../common/logger';

/** Levels as the dev server's `--log-level` takes them. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

/**
 * The logger for a dev server (or the codec server CLI) at `level`: through an installed
 * `Runtime` logger when there is one, else a {@link DefaultLogger} in the one line format.
 * @param level the level asked for; `undefined` takes `BASTION_LOG_LEVEL`, else WARN
 */
export function consoleLogger(level?: LogLevel): Logger {
  const parsed = level === undefined ? (envLogLevel() ?? 'WARN') : parseLogLevel(level, 'logLevel');
  if (parsed === 'OFF') return silentLogger;
  return Runtime.isInstalled() ? withLevel(processLogger, parsed) : new DefaultLogger(parsed);
}
