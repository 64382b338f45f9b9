/**
 * One `node:vm` context shared by the workflow runs of a bundle (`reuseContexts`, the
 * worker's `reuseV8Context`; the official SDK's design). The bundle is evaluated once:
 * the modules it loads then (Bastion's runtime, workflow API, converter, errors) are
 * shared by every run and frozen with the built-ins (see freeze-realm.ts). Each run gets:
 *
 * - its own webpack module cache, so the user's modules (workflows, payload converter,
 *   interceptors) are evaluated per run and keep their module state apart;
 * - its own Activator (made current before each of its calls, see runtime/current.ts),
 *   hence its own time, randomness, timers and cancellation scopes;
 * - its own "bag" of global properties: what its code added, replaced or deleted on
 *   `globalThis` is put away when another run's call comes in, and back when it returns.
 *
 * The switch happens inside the call's own timed `runInContext`. What this does not
 * isolate: state workflow code hangs on shared objects it can still change (the
 * prototypes of the shared modules' classes, `Map`/`Set` contents and closures of
 * shared modules, the objects the host lends: `URL`, `TextEncoder`, `assert`), the
 * attributes of a global whose value did not change, and V8-internal state such as
 * `RegExp.$1`. A global that cannot be put away (made non-configurable, or
 * `globalThis` made non-extensible) retires the context: the call gets an
 * `ERR_ILLEGAL_STATE` error and later runs get a new context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as vm from 'node:vm';
import { IllegalStateError, WorkflowError, type BastionError } from '../../common/errors';
import { HOST_GLOBALS, createSandboxContext, type SandboxContext } from './context-globals';
import { freezeRealm } from './freeze-realm';
import { SANDBOX_INTERNAL_PREFIX } from './stack-traces';
import { trackRejections, type RejectionSink } from './unhandled-rejections';
import { asyncIdBefore, repairAsyncContext } from './async-context-repair';
import type { SandboxShared } from './workflow-sandbox';
import { activationSteps } from './activation-steps';

const TAINTED = Symbol.for('bastion.sandbox.tainted');

/** Runs once in a shared context, after the bundle loaded and the realm was frozen. */
const SETUP = new vm.Script(
  `(function sharedSetup(TAINTED) {
  'use strict';
  const g = globalThis;
  const { defineProperty, getOwnPropertyDescriptor, isExtensible } = Object;
  const { ownKeys, deleteProperty } = Reflect;
  // Workflow code may replace these globals in its run; the switch must not see that.
  const SafeMap = Map;
  const SafeError = Error;
  const SafeString = String;
  const drain = g.__bastion_drain;
  const install = g.__bastion_install;
  const leaveRun = g.__bastion_leave;
  const pristine = new SafeMap();
  let holder; // the run whose globals are in place
  const taint = (message) => {
    const error = new SafeError(message);
    error[TAINTED] = true;
    throw error;
  };
  const same = (a, b) => a != null && b != null && a.value === b.value && a.get === b.get && a.set === b.set
    && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
  // The globals the current run changed: key -> its descriptor, or null when deleted.
  const changes = () => {
    const bag = new SafeMap();
    const keys = ownKeys(g);
    let added = 0;
    for (const key of keys) {
      const now = getOwnPropertyDescriptor(g, key);
      const was = pristine.get(key);
      if (was === undefined) added++;
      if (was === undefined || now.value !== was.value || now.get !== was.get || now.set !== was.set) bag.set(key, now);
    }
    if (keys.length - added !== pristine.size) {
      for (const key of pristine.keys()) if (getOwnPropertyDescriptor(g, key) === undefined) bag.set(key, null);
    }
    return bag;
  };
  const switchTo = (next) => {
    if (holder === next) return;
    if (holder !== undefined) {
      if (!isExtensible(g)) taint('workflow code made globalThis non-extensible');
      const bag = changes();
      if (!holder.disposed) holder.bag = bag;
      for (const [key, now] of bag) {
        const was = pristine.get(key);
        if (was === undefined) {
          if (!deleteProperty(g, key)) taint('workflow code defined the global ' + SafeString(key) + ' as non-configurable');
        } else if (!same(now, was)) {
          try {
            defineProperty(g, key, was);
          } catch {
            taint('workflow code made the global ' + SafeString(key) + ' non-configurable');
          }
        }
      }
    }
    holder = next;
    if (next !== undefined && next.bag !== undefined) {
      for (const [key, d] of next.bag) {
        if (d === null) deleteProperty(g, key);
        else defineProperty(g, key, d);
      }
    }
  };
  const enter = (next, method, arg) => {
    switchTo(next);
    if (method === null) return install();
    const runtime = g.__bastion;
    if (runtime !== null && typeof runtime === 'object' && typeof runtime.enter === 'function') runtime.enter();
    if (method !== '') return runtime[method](arg);
    // A whole activation: the promise jobs of each step run before the next.
    ${activationSteps('runtime', 'arg', 'drain')}
  };
  defineProperty(g, '__bastion_enter', { value: enter, writable: false, enumerable: false, configurable: false });
  for (const key of ownKeys(g)) pristine.set(key, getOwnPropertyDescriptor(g, key));
  return function leave(run) {
    if (holder !== run) return;
    switchTo(undefined);
    leaveRun();
  };
})`,
  { filename: `${SANDBOX_INTERNAL_PREFIX}shared-setup` },
);

/** Every call: take the slot, switch to its run, call. */
const CALL = new vm.Script(
  `(() => {
  const slot = globalThis.__bastion_call;
  delete globalThis.__bastion_call;
  return __bastion_enter(slot[0], slot[1], slot[2]);
})()`,
  { filename: `${SANDBOX_INTERNAL_PREFIX}call` },
);

const DRAIN = new vm.Script('undefined', { filename: `${SANDBOX_INTERNAL_PREFIX}drain` });

/** What the context knows of a run: the in-context code reads and writes `bag`. */
interface Holder {
  bag: unknown;
  disposed: boolean;
}

/** A run's side of the shared context. @internal */
export interface SharedRunSink extends RejectionSink {
  readonly holder: Holder;
  /** The run's webpack module cache; dropped when the run is disposed. */
  modules: Map<string | symbol, unknown> | undefined;
}

/** The result of loading a bundle into a shared context. */
export type SharedLoad = { ok: true; context: SharedContext } | { ok: false; reason: string };

export class SharedContext {
  /** The run whose code is running (whose module cache `require` uses). */
  private active: SharedRunSink | undefined;
  private readonly sharedModules = new Map<string | symbol, unknown>();
  private readonly runs = new AsyncLocalStorage<SharedRunSink>();
  private readonly owners = new WeakMap<Promise<unknown>, SharedRunSink>();
  private leave!: (holder: Holder) => void;
  private sandbox!: SandboxContext;
  /** Set when a run left the context in a state that cannot be undone: no new run may use it. */
  retired = false;
  /** Runs joined and not yet released. */
  private live = 0;
  /** How many built-in and shared-module objects were frozen (for tests and benchmarks). */
  frozenObjects = 0;

  private constructor() {}

  /**
   * Evaluates the bundle in a new context and prepares it for many runs; `ok: false`
   * when the bundle cannot share a context (no per-run installer).
   * @throws whatever the bundle's top-level code throws, or `ERR_WORKFLOW_TASK_DEADLOCK` when it runs past `createTimeoutMs`.
   */
  static load(shared: SandboxShared): SharedLoad {
    const self = new SharedContext();
    const moduleCache = new Proxy(Object.create(null) as object, {
      get: (_, id) => self.sharedModules.get(id) ?? self.active?.modules?.get(id),
      set: (_, id, value) => {
        const run = self.active;
        if (run) run.modules?.set(id, value);
        else self.sharedModules.set(id, value); // loaded with the bundle: shared
        return true;
      },
    });
    const sandbox = createSandboxContext({
      logger: shared.logger,
      prepareStackTrace: shared.prepareStackTrace,
      failureOptions: shared.failureOptions,
      moduleCache,
    });
    self.sandbox = sandbox;
    const g = sandbox.context as Record<string, unknown>;
    const asyncId = asyncIdBefore();
    try {
      shared.script.runInContext(sandbox.context, { timeout: shared.createTimeoutMs });
    } catch (err) {
      sandbox.release();
      if (isTimeout(err)) {
        repairAsyncContext(asyncId);
        throw deadlock(shared.createTimeoutMs, err);
      }
      throw err;
    }
    if (typeof g.__bastion_install !== 'function' || typeof g.__bastion_leave !== 'function') {
      sandbox.release();
      return {
        ok: false,
        reason: "the bundle defines no per-run installer (`globalThis.__bastion_install`); it was not built by this version's `bundleWorkflowCode`",
      };
    }
    self.frozenObjects = freezeRealm(
      sandbox.context,
      HOST_GLOBALS.map((name) => g[name]),
      [...self.sharedModules.values()],
    );
    const setup = SETUP.runInContext(sandbox.context) as (tainted: symbol) => (holder: Holder) => void;
    self.leave = setup(TAINTED);
    trackRejections(sandbox.promisePrototype, {
      rejected: (promise, reason) => {
        // The run whose call created the promise (see `invoke`); none: not workflow code.
        const run = self.runs.getStore();
        if (!run) return;
        self.owners.set(promise, run);
        run.rejected(promise, reason);
      },
      handled: (promise) => self.owners.get(promise)?.handled(promise),
    });
    return { ok: true, context: self };
  }

  /**
   * Calls into `run`: `method` null installs it (evaluates its modules, creates its
   * Activator), `''` runs a whole activation, anything else calls that runtime entry.
   * Promise jobs run before it returns, all within `timeoutMs`.
   * @throws {WorkflowError} `ERR_WORKFLOW_TASK_DEADLOCK` when the call overran `timeoutMs`.
   * @throws {IllegalStateError} `ERR_ILLEGAL_STATE` when a run left globals that cannot be put away (the context is retired).
   */
  invoke(run: SharedRunSink, method: string | null, arg: unknown, timeoutMs: number): unknown {
    if (method === null) this.live++;
    const g = this.sandbox.context as Record<string, unknown>;
    g.__bastion_call = [run.holder, method, arg];
    this.active = run;
    const asyncId = asyncIdBefore();
    try {
      // The store tells the process's rejection listener which run a promise belongs to.
      return this.runs.run(run, () => CALL.runInContext(this.sandbox.context, { timeout: timeoutMs }));
    } catch (err) {
      if (isTimeout(err)) {
        repairAsyncContext(asyncId);
        this.settleAfterTimeout(run);
        throw deadlock(timeoutMs, err);
      }
      if (typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[TAINTED] === true) {
        this.retired = true;
        throw new IllegalStateError(
          'ERR_ILLEGAL_STATE',
          `The shared workflow sandbox context was retired: ${(err as Error).message}. Later runs get a new context.`,
          { cause: err },
        );
      }
      throw err;
    } finally {
      this.active = undefined;
      delete g.__bastion_call;
    }
  }

  /**
   * Runs the promise jobs a terminated call left queued, still as the run that overran
   * (it is broken, its state is garbage), so that no other run's call runs them.
   */
  private settleAfterTimeout(run: SharedRunSink): void {
    for (let i = 0; i < 3; i++) {
      const asyncId = asyncIdBefore();
      this.active = run;
      try {
        this.runs.run(run, () => DRAIN.runInContext(this.sandbox.context, { timeout: 100 }));
        return;
      } catch (err) {
        repairAsyncContext(asyncId);
        if (!isTimeout(err)) return;
      } finally {
        this.active = undefined;
      }
    }
    this.retired = true; // jobs that never end: let no new run in
  }

  /** The value of a global as the run that was called last sees it. */
  currentGlobal(name: string): unknown {
    return (this.sandbox.context as Record<string, unknown>)[name];
  }

  /**
   * Lets no new run in; once the last live run is released, the context's AsyncLocalStorage
   * instances are disabled. Node keeps every enabled AsyncLocalStorage in a process-wide
   * list, so without this a context nobody uses any more stays reachable from it (with its
   * whole realm: about 390 KB per bundle evaluation).
   */
  retire(): void {
    this.retired = true;
    if (this.live === 0) this.letGo();
  }

  /**
   * Disables the AsyncLocalStorage instances of a context no run uses any more: those made
   * inside it, and `runs` on the host side (which, left enabled, stays in Node's list for
   * good, and Node visits every enabled one each time any async resource is made).
   */
  private letGo(): void {
    this.sandbox.release();
    this.runs.disable();
  }

  /** Lets go of a run: its globals are put away for good and it is no longer current. */
  release(run: SharedRunSink): void {
    if (run.holder.disposed) return;
    this.live--;
    run.holder.disposed = true;
    run.holder.bag = undefined;
    run.modules = undefined;
    try {
      this.leave(run.holder);
    } catch (err) {
      if (typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[TAINTED] === true) this.retired = true;
      else throw err;
    } finally {
      // The last run of a retired context is gone: its AsyncLocalStorage instances can go too.
      if (this.retired && this.live === 0) this.letGo();
    }
  }
}

export function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

export function deadlock(timeoutMs: number, cause: unknown): BastionError {
  return new WorkflowError(
    'ERR_WORKFLOW_TASK_DEADLOCK',
    `workflow code did not yield within ${timeoutMs} ms (infinite loop or heavy synchronous work); the workflow task fails and is retried`,
    { cause },
  );
}
