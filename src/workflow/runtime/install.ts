/**
 * How the workflow runtime comes up in a sandbox context. The bundle's entry calls
 * {@link installGlobals} once, when the context loads the bundle, and exposes an
 * installer (`globalThis.__bastion_install`) that the host calls once per workflow run:
 * it evaluates the run's own instances of the user's modules and calls
 * {@link installRuntime}, which creates the run's Activator and returns its entry points
 * (also set as `globalThis.__bastion`).
 *
 * A context may host one run or many (the worker's `reuseV8Context`): the deterministic
 * `Date`, `Math.random`, `setTimeout` and `clearTimeout` are installed once and act for
 * the current run (see current.ts), which the host switches with `SandboxRuntime.enter`.
 */
import { Activator, OriginalDate } from './activator';
import { activator, hasActivator, setActivator } from './current';
import { CancellationScope, initScopes } from './cancellation-scope';
import type { SandboxRuntime } from '../../common/activation-protocol';
import { sleep } from '../timers';
import type { PayloadConverter } from '../../converter';
import type { WorkflowInterceptorsFactory } from '../interceptors';

interface AsyncLocalStorageCtor {
  new <T>(): { getStore(): T | undefined; run<R>(store: T, fn: () => R): R };
}

const originalRandom = Math.random;
let globalsInstalled = false;

/**
 * Installs what every run of this context shares: time, randomness and timers that act
 * for the current run, and the storage of cancellation scopes. Idempotent.
 * @throws {Error} when the context has no `AsyncLocalStorage` (not made by Bastion's worker).
 */
export function installGlobals(): void {
  if (globalsInstalled) return;
  const g = globalThis as Record<string, any>;
  const ALS = g.AsyncLocalStorage as AsyncLocalStorageCtor | undefined;
  if (!ALS) throw new Error("The workflow sandbox has no AsyncLocalStorage; it must be created by Bastion's worker.");
  globalsInstalled = true;
  initScopes(new ALS<CancellationScope>(), sleep);

  // Time is the activation's time, not the wall clock. Outside a run (top-level code of
  // shared modules while the bundle loads) it is the clock, as before any runtime.
  const now = (): number => (hasActivator() ? activator().now : OriginalDate.now());
  class WorkflowDate extends OriginalDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [number]));
    }
    static override now(): number {
      return now();
    }
  }
  g.Date = WorkflowDate;
  Math.random = function random(): number {
    return hasActivator() ? activator().random() : originalRandom();
  };

  // The sandbox's console (context-globals.ts) asks which run writes, and skips replay.
  Object.defineProperty(g, '__bastion_console_run', {
    value: () => (hasActivator() ? { replaying: activator().isReplaying, info: activator().info } : undefined),
    writable: false,
    configurable: false,
    enumerable: false,
  });

  // setTimeout is a durable timer of the current run; clearTimeout cancels it.
  g.setTimeout = function setTimeout(cb: (...a: unknown[]) => void, ms = 0, ...args: unknown[]): number {
    const run = activator();
    const id = run.nextTimerId++;
    const scope = new CancellationScope({ cancellable: true });
    run.timers.set(id, scope);
    scope
      .run(() => sleep(ms))
      .then(
        () => {
          run.timers.delete(id);
          cb(...args);
        },
        () => run.timers.delete(id),
      );
    return id;
  };
  g.clearTimeout = function clearTimeout(id: number): void {
    const run = activator();
    run.timers.get(id)?.cancel();
    run.timers.delete(id);
  };
}

/** No run is current (before a run's modules are evaluated, after a run is let go). */
export function leaveRun(): void {
  setActivator(undefined);
}

/**
 * Creates a run's Activator, makes it current, and returns the run's entry points (also
 * set as `globalThis.__bastion`).
 */
export function installRuntime(
  workflows: Record<string, unknown>,
  payloadConverterModule?: { payloadConverter?: PayloadConverter },
  interceptorModules: Array<{ interceptors?: WorkflowInterceptorsFactory }> = [],
): SandboxRuntime {
  installGlobals(); // bundles whose entry does not call it
  setActivator(undefined);
  const activator = new Activator(workflows, payloadConverterModule?.payloadConverter, interceptorModules);
  setActivator(activator);
  const runtime: SandboxRuntime = {
    enter: () => setActivator(activator),
    activate: (activation) => activator.activate(activation),
    tryUnblockConditions: () => activator.tryUnblockConditions(),
    concludeActivation: () => activator.concludeActivation(),
  };
  (globalThis as Record<string, unknown>).__bastion = runtime;
  return runtime;
}
