/** Signals, queries and updates: definitions and handlers. */
import { activator } from './runtime/current';
import { currentUpdateInfoOf, HandlerUnfinishedPolicy, type UpdateInfo } from './runtime/updates';

import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '../common/definitions';

export type { QueryDefinition, SignalDefinition, UpdateDefinition, UpdateInfo };
export { HandlerUnfinishedPolicy };

/** Options of `setHandler` for an update: a read-only `validator` (throw to reject) and the `unfinishedPolicy`. */
export interface UpdateHandlerOptions<Args extends unknown[]> {
  validator?: (...args: Args) => void;
  /** @default HandlerUnfinishedPolicy.WARN_AND_ABANDON */
  unfinishedPolicy?: HandlerUnfinishedPolicy;
  description?: string;
}

/** Defines an update: `defineUpdate<number, [number]>('add')`. */
export function defineUpdate<Ret, Args extends unknown[] = [], Name extends string = string>(name: Name): UpdateDefinition<Ret, Args, Name> {
  return { type: 'update', name };
}

/** The update whose handler or validator is running, or undefined outside one. */
export function currentUpdateInfo(): UpdateInfo | undefined {
  return currentUpdateInfoOf();
}

/** True when no update or signal handler is still running: `await condition(allHandlersFinished)` before returning. */
export function allHandlersFinished(): boolean {
  const a = activator();
  return a.updates.inProgress.size === 0 && a.signalsInProgress === 0;
}

export function defineSignal<Args extends unknown[] = [], Name extends string = string>(name: Name): SignalDefinition<Args, Name> {
  return { type: 'signal', name };
}

export function defineQuery<Ret, Args extends unknown[] = [], Name extends string = string>(name: Name): QueryDefinition<Ret, Args, Name> {
  return { type: 'query', name };
}

export function setHandler<Args extends unknown[]>(def: SignalDefinition<Args>, handler: ((...args: Args) => void | Promise<void>) | undefined): void;
export function setHandler<Ret, Args extends unknown[]>(def: QueryDefinition<Ret, Args>, handler: ((...args: Args) => Ret) | undefined): void;
export function setHandler<Ret, Args extends unknown[]>(
  def: UpdateDefinition<Ret, Args>,
  handler: ((...args: Args) => Ret | Promise<Ret>) | undefined,
  options?: UpdateHandlerOptions<Args>,
): void;
export function setHandler(
  def: { type: string; name: string },
  handler: ((...args: any[]) => unknown) | undefined,
  options?: UpdateHandlerOptions<any[]> | { unfinishedPolicy?: HandlerUnfinishedPolicy; description?: string },
): void {
  const a = activator();
  if (def.type === 'update') {
    if (!handler) {
      a.updates.handlers.delete(def.name);
      return;
    }
    const o = (options ?? {}) as UpdateHandlerOptions<any[]>;
    if (o.validator !== undefined && typeof o.validator !== 'function')
      throw new TypeError(`setHandler: \`validator\` of update "${def.name}" must be a function.`);
    a.updates.handlers.set(def.name, { handler, validator: o.validator, unfinishedPolicy: o.unfinishedPolicy ?? HandlerUnfinishedPolicy.WARN_AND_ABANDON });
    a.updates.flushBuffered();
    return;
  }
  if (def.type === 'signal') {
    if (handler) {
      a.signalHandlers.set(def.name, handler);
      a.flushBufferedSignals(def.name);
    } else a.signalHandlers.delete(def.name);
  } else if (def.type === 'query') {
    if (handler) a.queryHandlers.set(def.name, handler);
    else a.queryHandlers.delete(def.name);
  } else {
    throw new TypeError(`setHandler: unsupported definition type "${def.type}" (expected a signal, query or update definition)`);
  }
}

/** Handles signals that have no handler of their own. */
export function setDefaultSignalHandler(handler: ((signalName: string, ...args: unknown[]) => void | Promise<void>) | undefined): void {
  const a = activator();
  a.defaultSignalHandler = handler;
  if (handler) a.flushBufferedSignals();
}
