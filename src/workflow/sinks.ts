/**
 * Sinks, as in @temporalio/workflow: the one way workflow code hands data out of the
 * sandbox (logs, spans, metrics) without waiting on I/O or breaking replay. A call is
 * buffered with the run's `workflowInfo()` and run by the worker after the activation,
 * by the function registered under the same names in the worker's `sinks` option;
 * calls made while the run replays are dropped unless that function says
 * `callDuringReplay: true`.
 *
 * ```ts
 * interface MySinks extends Sinks { alerts: { raise(message: string): void } }
 * const { alerts } = proxySinks<MySinks>();
 * alerts.raise('order stuck');
 * ```
 */
import { activator } from './runtime/current';

/** A function workflow code calls; it returns nothing (the call happens later, outside). */
export type SinkFunction = (...args: any[]) => void;
/** A named group of sink functions. */
export type Sink = Record<string, SinkFunction>;
/** The sinks workflow code can call, by name. */
export type Sinks = Record<string, Sink>;

/** The sink through which `log` from this module reaches the worker's logger. */
export const LOGGER_SINK_NAME = '__temporal_logger';

/**
 * Sink proxies for workflow code: `proxySinks<MySinks>().alerts.raise('x')` queues the
 * call; arguments must be plain data (they may cross a thread boundary).
 * @throws {IllegalStateError} `ERR_ILLEGAL_STATE` when a sink is called outside workflow code
 */
export function proxySinks<T extends Sinks>(): T {
  return new Proxy({} as T, {
    get(_, ifaceName) {
      return new Proxy({} as Sink, {
        get(__, fnName) {
          return (...args: unknown[]) => activator().pushSinkCall(String(ifaceName), String(fnName), args);
        },
      });
    },
  });
}
