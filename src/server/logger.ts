/** The dev server's logger: short message, details in `meta`; stderr by default. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

export interface Logger {
  debug(message: string, meta?: object): void;
  info(message: string, meta?: object): void;
  warn(message: string, meta?: object): void;
  error(message: string, meta?: object): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

export function consoleLogger(level: LogLevel): Logger {
  const min = ORDER[level];
  const write = (lvl: Exclude<LogLevel, 'off'>) => (message: string, meta?: object) => {
    if (ORDER[lvl] < min) return;
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${message}${meta ? ' ' + JSON.stringify(meta) : ''}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
