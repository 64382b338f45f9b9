/**
 * The worker side of sinks (the `sinks` option of `Worker.create`, as in the official
 * SDK): functions that receive the calls workflow code made through `proxySinks()`, after
 * each activation, with the run's `workflowInfo()` first. The workflow `log` sink
 * (`__temporal_logger`) is built in: it writes to the worker's logger with the run's
 * fields, and never during replay.
 */
import { invalidOption } from '../common/errors';
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
