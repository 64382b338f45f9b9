/**
 * The bundle's entry calls `installRuntime(workflows)` once per sandbox: it creates the
 * run's Activator, makes time, randomness and timers deterministic, and exposes the
 * host entry points as `globalThis.__bastion`.
 */
import { Activator } from './activator';
import { setActivator } from './current';
import { CancellationScope, initScopes } from './cancellation-scope';
import type { SandboxRuntime } from './protocol';
import { sleep } from '../timers';
import type { PayloadConverter } from '../../converter';
import type { WorkflowInterceptorsFactory } from '../interceptors';

interface AsyncLocalStorageCtor {
  new <T>(): { getStore(): T | undefined; run<R>(store: T, fn: () => R): R };
}

export function installRuntime(
  workflows: Record<string, unknown>,
  payloadConverterModule?: { payloadConverter?: PayloadConverter },
  interceptorModules: Array<{ interceptors?: WorkflowInterceptorsFactory }> = [],
): void {
  const g = globalThis as Record<string, any>;
  const activator = new Activator(workflows, payloadConverterModule?.payloadConverter, interceptorModules);
  setActivator(activator);
  const ALS = g.AsyncLocalStorage as AsyncLocalStorageCtor | undefined;
  if (!ALS) throw new Error('The workflow sandbox has no AsyncLocalStorage; it must be created by Bastion\'s worker.');
  initScopes(new ALS<CancellationScope>(), activator.rootScope, sleep);

  // Time is the activation's time, not the wall clock.
  const OriginalDate = Date;
  class WorkflowDate extends OriginalDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(activator.now);
      else super(...(args as [number]));
    }
    static override now(): number {
      return activator.now;
    }
  }
  g.Date = WorkflowDate;
  Math.random = () => activator.random();

  // setTimeout is a durable timer; clearTimeout cancels it.
  const timers = new Map<number, CancellationScope>();
  let nextTimer = 1;
  g.setTimeout = (cb: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const id = nextTimer++;
    const scope = new CancellationScope({ cancellable: true });
    timers.set(id, scope);
    scope.run(() => sleep(ms)).then(() => {
      timers.delete(id);
      cb(...args);
    }, () => timers.delete(id));
    return id;
  };
  g.clearTimeout = (id: number) => {
    timers.get(id)?.cancel();
    timers.delete(id);
  };

  const runtime: SandboxRuntime = {
    activate: (activation) => activator.activate(activation),
    tryUnblockConditions: () => activator.tryUnblockConditions(),
    concludeActivation: () => activator.concludeActivation(),
  };
  g.__bastion = runtime;
}
