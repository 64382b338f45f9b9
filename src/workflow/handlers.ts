/** Signals and queries: definitions and handlers. */
import { activator } from './runtime/current';

import type { QueryDefinition, SignalDefinition } from '../common/definitions';

export type { QueryDefinition, SignalDefinition };

export function defineSignal<Args extends unknown[] = [], Name extends string = string>(name: Name): SignalDefinition<Args, Name> {
  return { type: 'signal', name };
}

export function defineQuery<Ret, Args extends unknown[] = [], Name extends string = string>(name: Name): QueryDefinition<Ret, Args, Name> {
  return { type: 'query', name };
}

export function setHandler<Args extends unknown[]>(def: SignalDefinition<Args>, handler: ((...args: Args) => void | Promise<void>) | undefined): void;
export function setHandler<Ret, Args extends unknown[]>(def: QueryDefinition<Ret, Args>, handler: ((...args: Args) => Ret) | undefined): void;
export function setHandler(def: { type: string; name: string }, handler: ((...args: any[]) => unknown) | undefined): void {
  const a = activator();
  if (def.type === 'signal') {
    if (handler) {
      a.signalHandlers.set(def.name, handler);
      a.flushBufferedSignals(def.name);
    } else a.signalHandlers.delete(def.name);
  } else if (def.type === 'query') {
    if (handler) a.queryHandlers.set(def.name, handler);
    else a.queryHandlers.delete(def.name);
  } else {
    throw new TypeError(`setHandler: unsupported definition type "${def.type}" (Bastion supports signals and queries; updates are not available yet)`);
  }
}

/** Handles signals that have no handler of their own. */
export function setDefaultSignalHandler(handler: ((signalName: string, ...args: unknown[]) => void | Promise<void>) | undefined): void {
  const a = activator();
  a.defaultSignalHandler = handler;
  if (handler) a.flushBufferedSignals();
}
