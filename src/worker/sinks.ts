/**
 * The worker side of sinks (the `sinks` option of `Worker.create`, as in the official
 * SDK): functions that receive the calls workflow code made through `proxySinks()`, after
 * each activation, with the run's `workflowInfo()` first. The workflow `log` sink
 * (`__temporal_logger`) is built in: it writes to the worker's logger with the run's
 * fields, and never during replay.
 */
import type { SinkCall } from '../common/activation-protocol';
import { invalidOption } from '../common/errors';
import type { Logger, LogMeta } from '../common/logger';
import { workflowLogFields } from '../common/log-fields';
import type { WorkflowInfo } from '../workflow/runtime/workflow-info';
import type { Sink, Sinks } from '../workflow/sinks';
import { LOGGER_SINK_NAME } from '../workflow/sinks';

/** A function the worker runs for a sink call; `info` is the run's `workflowInfo()` at the call. */
export interface InjectedSinkFunction<F extends (...args: any[]) => void> {
  fn(info: WorkflowInfo, ...args: Parameters<F>): void | Promise<void>;
  /** Run it for calls made while the run replays history too. @default false */
  callDuringReplay?: boolean;
}

/** The worker's functions for one sink. */
export type InjectedSink<T extends Sink> = { [K in keyof T]: InjectedSinkFunction<T[K]> };

/** The `sinks` option: the worker's functions for each sink workflow code may call. */
export type InjectedSinks<T extends Sinks = Sinks> = { [K in keyof T]: InjectedSink<T[K]> };

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error']);

/**
 * Checks the `sinks` option's shape.
 * @throws {ConfigError} `ERR_INVALID_OPTION` naming the sink function that is not `{ fn }`
 */
export function validateSinks(sinks: unknown): InjectedSinks {
  if (sinks === undefined) return {};
  if (typeof sinks !== 'object' || sinks === null)
    throw invalidOption('sinks', 'must be an object: `{ [sinkName]: { [functionName]: { fn, callDuringReplay? } } }`.');
  for (const [iface, fns] of Object.entries(sinks)) {
    if (iface === LOGGER_SINK_NAME) throw invalidOption(`sinks.${iface}`, 'is the built-in workflow logger; pass `logger` to `Worker.create` instead.');
    if (typeof fns !== 'object' || fns === null)
      throw invalidOption(`sinks.${iface}`, 'must be an object of `{ fn, callDuringReplay? }` entries, one per sink function.');
    for (const [name, f] of Object.entries(fns as object)) {
      if (typeof (f as { fn?: unknown })?.fn !== 'function')
        throw invalidOption(`sinks.${iface}.${name}`, 'must be `{ fn: (info, ...args) => void, callDuringReplay?: boolean }`.');
    }
  }
  return sinks as InjectedSinks;
}

/** Runs the sink calls of one activation; never throws (a failing sink is logged). */
export class SinkDispatcher {
  private readonly unknown = new Set<string>();

  constructor(
    private readonly sinks: InjectedSinks,
    private readonly logger: Logger,
  ) {}

  dispatch(calls: readonly SinkCall[]): void {
    for (const call of calls) {
      if (call.ifaceName === LOGGER_SINK_NAME) {
        if (!call.isReplaying) this.log(call);
        continue;
      }
      const entry = this.sinks[call.ifaceName]?.[call.fnName] as InjectedSinkFunction<(...a: unknown[]) => void> | undefined;
      if (!entry) {
        const key = `${call.ifaceName}.${call.fnName}`;
        if (!this.unknown.has(key)) {
          this.unknown.add(key);
          this.logger.warn('workflow code called a sink the worker has no function for; pass it in `sinks`', { sink: key, ...workflowLogFields(call.info) });
        }
        continue;
      }
      if (call.isReplaying && !entry.callDuringReplay) continue;
      const fail = (err: unknown) =>
        this.logger.error('a sink function failed', {
          sink: `${call.ifaceName}.${call.fnName}`,
          error: (err as Error)?.message,
          ...workflowLogFields(call.info),
        });
      try {
        const r = entry.fn(call.info as unknown as WorkflowInfo, ...call.args);
        if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, fail);
      } catch (err) {
        fail(err);
      }
    }
  }

  private log(call: SinkCall): void {
    const level = LEVELS.has(call.fnName) ? (call.fnName as 'trace' | 'debug' | 'info' | 'warn' | 'error') : 'info';
    const [message, attrs] = call.args as [unknown, LogMeta | undefined];
    const meta: LogMeta = { ...(attrs && typeof attrs === 'object' ? attrs : {}), ...workflowLogFields(call.info) };
    const fn = level === 'trace' ? this.logger.trace : this.logger[level];
    fn?.call(this.logger, String(message), meta);
  }
}
