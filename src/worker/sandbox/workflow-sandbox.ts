/**
 * One workflow run's sandbox, and the one door into it, {@link WorkflowSandbox.call}. The
 * run's code lives either in a `node:vm` context of its own, in which the whole bundle
 * was evaluated, or in the bundle's shared context (see shared-context.ts), where only
 * the run's own modules were evaluated for it.
 */
import * as vm from 'node:vm';
import { BundleError, IllegalStateError, WorkflowError, invalidOption, type BastionError } from '../../common/errors';
import { createSandboxContext, type SandboxContext, type SandboxLogger } from './context-globals';
import { SANDBOX_INTERNAL_PREFIX } from './stack-traces';
import { trackRejections } from './unhandled-rejections';
import { asyncIdBefore, repairAsyncContext } from './async-context-repair';
import { deadlock, isTimeout, type SharedContext, type SharedRunSink } from './shared-context';
import { activationSteps } from './activation-steps';

/**
 * How long one call into workflow code may run, promise jobs included, before the
 * sandbox is declared deadlocked (the official SDK's `isolateExecutionTimeout`).
 * @default 5_000
 */
export const DEFAULT_SANDBOX_CALL_TIMEOUT_MS = 5_000;

/** The name of the context global that carries a call's method and argument. */
const CALL_SLOT = '__bastion_call';
const CALL = new vm.Script(`globalThis.__bastion[${CALL_SLOT}[0]](${CALL_SLOT}[1])`, { filename: `${SANDBOX_INTERNAL_PREFIX}call` });
/**
 * Loads the bundle and installs the run under one timeout (each timed `runInContext`
 * starts a watchdog thread: ~90 µs of CPU). Bundles of this version install each run
 * explicitly; older ones did it on load.
 */
const LOAD_AND_INSTALL = new vm.Script(
  `(() => {
  const load = globalThis.__bastion_load;
  delete globalThis.__bastion_load;
  load();
  if (typeof globalThis.__bastion_install === 'function') globalThis.__bastion_install();
})()`,
  { filename: `${SANDBOX_INTERNAL_PREFIX}install` },
);
/**
 * A whole activation under one timeout: activate, settle conditions, conclude, with the
 * promise jobs of each step run before the next (as three separate calls would).
 */
const ACTIVATION = new vm.Script(
  `(() => {
  const runtime = globalThis.__bastion;
  const drain = globalThis.__bastion_drain;
  ${activationSteps('runtime', `${CALL_SLOT}[1]`, 'drain')}
})()`,
  { filename: `${SANDBOX_INTERNAL_PREFIX}activation` },
);

/** What a sandbox shares with the others of its bundle. @internal */
export interface SandboxShared {
  script: vm.Script;
  logger: SandboxLogger;
  prepareStackTrace: (error: unknown, callSites: NodeJS.CallSite[]) => string;
  createTimeoutMs: number;
  failureOptions?: { encodeCommonAttributes: boolean };
}

/** Where a run's code runs. */
interface Realm {
  /** The run's entry points (`globalThis.__bastion` once installed). */
  readonly runtime: Record<string, unknown> | undefined;
  /** `method` '' is a whole activation. */
  invoke(method: string, arg: unknown, timeoutMs: number): unknown;
  release(): void;
}

/** A workflow run's sandbox; made by `WorkflowSandboxes.create()`. */
export class WorkflowSandbox {
  private realm: Realm | undefined;
  private brokenBy: BastionError | undefined;
  private readonly pendingRejections = new Map<Promise<unknown>, unknown>();
  private readonly logger: SandboxLogger;

  /**
   * @internal Use `WorkflowSandboxes.create()`. With `context`, the run joins that
   * shared context; without, the bundle is evaluated in a new context of its own.
   */
  constructor(shared: SandboxShared, context?: SharedContext) {
    this.logger = shared.logger;
    this.realm = context ? this.joinShared(shared, context) : this.ownContext(shared);
  }

  private rejected(promise: Promise<unknown>, reason: unknown): void {
    if (!this.realm) return; // a late report from a sandbox already let go
    this.pendingRejections.set(promise, reason);
    this.logger.warn('workflow code left a promise rejection unhandled', { error: describe(reason) });
  }

  private ownContext(shared: SandboxShared): Realm {
    const sandbox: SandboxContext = createSandboxContext({
      logger: shared.logger,
      prepareStackTrace: shared.prepareStackTrace,
      failureOptions: shared.failureOptions,
    });
    trackRejections(sandbox.promisePrototype, {
      rejected: (promise, reason) => this.rejected(promise, reason),
      handled: (promise) => this.pendingRejections.delete(promise),
    });
    const g = sandbox.context as Record<string, unknown>;
    const timed = (script: vm.Script, timeoutMs: number): unknown => {
      const asyncId = asyncIdBefore();
      try {
        return script.runInContext(sandbox.context, { timeout: timeoutMs });
      } catch (err) {
        if (!isTimeout(err)) throw err;
        repairAsyncContext(asyncId);
        throw deadlock(timeoutMs, err);
      }
    };
    // Runs nested in LOAD_AND_INSTALL, whose timeout covers it.
    Object.defineProperty(g, '__bastion_load', {
      value: () => void shared.script.runInContext(sandbox.context),
      writable: false,
      configurable: true,
      enumerable: false,
    });
    try {
      timed(LOAD_AND_INSTALL, shared.createTimeoutMs);
    } catch (err) {
      sandbox.release();
      throw err; // a deadlock, or an error of the workflow module's top-level code, as thrown
    }
    const runtime = g.__bastion;
    if (typeof runtime !== 'object' || runtime === null) {
      sandbox.release();
      throw noRuntime();
    }
    return {
      runtime: runtime as Record<string, unknown>,
      invoke: (method, arg, timeoutMs) => {
        g[CALL_SLOT] = [method, arg];
        try {
          return timed(method === '' ? ACTIVATION : CALL, timeoutMs);
        } finally {
          delete g[CALL_SLOT];
        }
      },
      release: () => sandbox.release(),
    };
  }

  private joinShared(shared: SandboxShared, context: SharedContext): Realm {
    const run: SharedRunSink = {
      holder: { bag: undefined, disposed: false },
      modules: new Map(),
      rejected: (promise, reason) => this.rejected(promise, reason),
      handled: (promise) => this.pendingRejections.delete(promise),
    };
    let installed: unknown;
    try {
      installed = context.invoke(run, null, undefined, shared.createTimeoutMs);
    } catch (err) {
      context.release(run);
      throw err; // a deadlock, or an error of the run's modules' top-level code, as thrown
    }
    // The real runtime returns its entry points; others only set `globalThis.__bastion`.
    const runtime = typeof installed === 'object' && installed !== null ? installed : context.currentGlobal('__bastion');
    if (typeof runtime !== 'object' || runtime === null) {
      context.release(run);
      throw noRuntime();
    }
    return {
      runtime: runtime as Record<string, unknown>,
      invoke: (method, arg, timeoutMs) => context.invoke(run, method, arg, timeoutMs),
      release: () => context.release(run),
    };
  }

  /** True once workflow code overran a call's timeout; every later call throws. */
  get broken(): boolean {
    return this.brokenBy !== undefined;
  }

  /** True once {@link dispose} was called. */
  get disposed(): boolean {
    return this.realm === undefined;
  }

  /**
   * The first promise rejection workflow code left unhandled (and has not handled since),
   * as a `WorkflowError` with code `ERR_WORKFLOW_UNHANDLED_REJECTION` and the reason as
   * `cause`; `undefined` when there is none. Node reports these after the call that made
   * them has returned, on a later turn of the event loop.
   */
  get unhandledRejection(): BastionError | undefined {
    for (const reason of this.pendingRejections.values()) {
      return new WorkflowError('ERR_WORKFLOW_UNHANDLED_REJECTION', `workflow code left a promise rejection unhandled: ${describe(reason)}`, { cause: reason });
    }
    return undefined;
  }

  /**
   * Calls `globalThis.__bastion[method](arg)` in the sandbox. The promise jobs the call
   * queues run before it returns, within `timeoutMs`. Errors thrown by workflow code
   * propagate as they are (objects of the sandbox's realm).
   * @throws {WorkflowError} `ERR_WORKFLOW_TASK_DEADLOCK` when workflow code runs past `timeoutMs`; the sandbox is then {@link broken}.
   * @throws {IllegalStateError} `ERR_ILLEGAL_STATE` when the sandbox is broken or disposed.
   * @throws {BundleError} `ERR_BUNDLE_INVALID` when the runtime has no such method.
   */
  call(method: string, arg: unknown, timeoutMs: number = DEFAULT_SANDBOX_CALL_TIMEOUT_MS): unknown {
    return this.invoke([method], method, arg, timeoutMs);
  }

  /**
   * One whole activation (`activate`, then `tryUnblockConditions` until it returns
   * false, then `concludeActivation`) under a single timeout, returning the completion.
   * The promise jobs of each step run before the next, as with three calls.
   * @throws as {@link call}.
   */
  runActivation(activation: unknown, timeoutMs: number = DEFAULT_SANDBOX_CALL_TIMEOUT_MS): unknown {
    return this.invoke(['activate', 'tryUnblockConditions', 'concludeActivation'], '', activation, timeoutMs);
  }

  private invoke(needs: string[], method: string, arg: unknown, timeoutMs: number): unknown {
    const realm = this.usable();
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw invalidOption('timeoutMs', `must be a positive whole number of milliseconds, got ${String(timeoutMs)}.`);
    for (const name of needs) {
      if (typeof realm.runtime?.[name] !== 'function') {
        throw new BundleError(
          'ERR_BUNDLE_INVALID',
          `The workflow runtime in this sandbox has no \`${name}\` entry point; was the bundle built by this version's \`bundleWorkflowCode\`?`,
        );
      }
    }
    try {
      return realm.invoke(method, arg, timeoutMs);
    } catch (err) {
      if (err instanceof WorkflowError && err.code === 'ERR_WORKFLOW_TASK_DEADLOCK') this.brokenBy = err;
      else if (err instanceof IllegalStateError) this.brokenBy = err;
      throw err;
    }
  }

  /**
   * Lets go of the run: its context (own) or its module instances, Activator and
   * globals (shared context) become garbage. Idempotent.
   */
  dispose(): void {
    const realm = this.realm;
    if (!realm) return;
    this.realm = undefined;
    this.pendingRejections.clear();
    realm.release();
  }

  private usable(): Realm {
    if (!this.realm)
      throw new IllegalStateError('ERR_ILLEGAL_STATE', 'This workflow sandbox was disposed; create a new one with `WorkflowSandboxes.create()`.');
    if (this.brokenBy) {
      throw new IllegalStateError('ERR_ILLEGAL_STATE', `This workflow sandbox is broken (${this.brokenBy.message}); dispose it and create a new one.`, {
        cause: this.brokenBy,
      });
    }
    return this.realm;
  }
}

function noRuntime(): BastionError {
  return new BundleError(
    'ERR_BUNDLE_INVALID',
    "The workflow bundle did not install Bastion's workflow runtime (`globalThis.__bastion` is missing). Build it with `bundleWorkflowCode`.",
  );
}

function describe(reason: unknown): string {
  try {
    return typeof reason === 'object' && reason !== null && 'message' in reason ? String((reason as Error).message) : String(reason);
  } catch {
    return '<unprintable>';
  }
}
