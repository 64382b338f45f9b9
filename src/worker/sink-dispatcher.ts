/** Runs the sink calls workflow code made during an activation (see ./sinks.ts), after it. */
import type { SinkCall } from '../common/activation-protocol';
import type { Logger, LogMeta } from '../common/logger';
import { workflowLogFields } from '../common/log-fields';
import type { WorkflowInfo } from '../workflow/runtime/workflow-info';
import { LOGGER_SINK_NAME } from '../workflow/sinks';
import type { InjectedSinkFunction, InjectedSinks } from './sinks';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error']);

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
