/**
 * One workflow run's sandbox: a `node:vm` context that has evaluated the workflow bundle,
 * and the one door into it, {@link WorkflowSandbox.call}.
 */
import * as vm from 'node:vm';
import { BundleError, IllegalStateError, WorkflowError, invalidOption, type BastionError } from '../../common/errors';
import { createSandboxContext, type SandboxContext, type SandboxLogger } from './context-globals';
import { SANDBOX_INTERNAL_PREFIX } from './stack-traces';
import { trackRejections } from './unhandled-rejections';
import { asyncIdBefore, repairAsyncContext } from './async-context-repair';

/**
 * How long one call into workflow code may run, promise jobs included, before the
 * sandbox is declared deadlocked (the official SDK's `isolateExecutionTimeout`).
 * @default 5_000
 */
export const DEFAULT_SANDBOX_CALL_TIMEOUT_MS = 5_000;

/** The name of the context global that carries a call's method and argument. */
const CALL_SLOT = '__bastion_call';
const CALL = new vm.Script(`globalThis.__bastion[${CALL_SLOT}[0]](${CALL_SLOT}[1])`, { filename: `${SANDBOX_INTERNAL_PREFIX}call` });

/** What a sandbox shares with the others of its bundle. @internal */
export interface SandboxShared {
  script: vm.Script;
  logger: SandboxLogger;
  prepareStackTrace: (error: unknown, callSites: NodeJS.CallSite[]) => string;
  createTimeoutMs: number;
  failureOptions?: { encodeCommonAttributes: boolean };
}

/** A workflow run's own realm; made by `WorkflowSandboxes.create()`. */
export class WorkflowSandbox {
  private sandbox: SandboxContext | undefined;
  private brokenBy: BastionError | undefined;
  private readonly pendingRejections = new Map<Promise<unknown>, unknown>();

  /** @internal Use `WorkflowSandboxes.create()`. Evaluates the bundle in a new context. */
  constructor(shared: SandboxShared) {
    const sandbox = createSandboxContext({ logger: shared.logger, prepareStackTrace: shared.prepareStackTrace, failureOptions: shared.failureOptions });
    const logger = shared.logger;
    trackRejections(sandbox.promisePrototype, {
      rejected: (promise, reason) => {
        if (!this.sandbox) return; // a late report from a sandbox already let go
        this.pendingRejections.set(promise, reason);
        logger.warn('workflow code left a promise rejection unhandled', { error: describe(reason) });
      },
      handled: (promise) => this.pendingRejections.delete(promise),
    });
    const asyncId = asyncIdBefore();
    try {
      shared.script.runInContext(sandbox.context, { timeout: shared.createTimeoutMs });
    } catch (err) {
      sandbox.release();
      if (isTimeout(err)) {
        repairAsyncContext(asyncId);
        throw deadlock(shared.createTimeoutMs, err);
      }
      throw err; // an error of the workflow module's top-level code, as thrown
    }
    const runtime = (sandbox.context as Record<string, unknown>).__bastion;
    if (typeof runtime !== 'object' || runtime === null) {
      sandbox.release();
      throw new BundleError('ERR_BUNDLE_INVALID', 'The workflow bundle did not install Bastion\'s workflow runtime (`globalThis.__bastion` is missing). Build it with `bundleWorkflowCode`.');
    }
    this.sandbox = sandbox;
  }

  /** True once workflow code overran a call's timeout; every later call throws. */
  get broken(): boolean {
    return this.brokenBy !== undefined;
  }

  /** True once {@link dispose} was called. */
  get disposed(): boolean {
    return this.sandbox === undefined;
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
    const sandbox = this.usable();
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw invalidOption('timeoutMs', `must be a positive whole number of milliseconds, got ${String(timeoutMs)}.`);
    const g = sandbox.context as Record<string, unknown>;
    const runtime = g.__bastion as Record<string, unknown> | undefined;
    if (typeof runtime?.[method] !== 'function') {
      throw new BundleError('ERR_BUNDLE_INVALID', `The workflow runtime in this sandbox has no \`${method}\` entry point; was the bundle built by this version's \`bundleWorkflowCode\`?`);
    }
    g[CALL_SLOT] = [method, arg];
    const asyncId = asyncIdBefore();
    try {
      return CALL.runInContext(sandbox.context, { timeout: timeoutMs });
    } catch (err) {
      if (!isTimeout(err)) throw err;
      repairAsyncContext(asyncId);
      this.brokenBy = deadlock(timeoutMs, err);
      throw this.brokenBy;
    } finally {
      delete g[CALL_SLOT];
    }
  }

  /** Lets go of the context (its workflow state becomes garbage). Idempotent. */
  dispose(): void {
    const sandbox = this.sandbox;
    if (!sandbox) return;
    this.sandbox = undefined;
    this.pendingRejections.clear();
    sandbox.release();
  }

  private usable(): SandboxContext {
    if (!this.sandbox) throw new IllegalStateError('ERR_ILLEGAL_STATE', 'This workflow sandbox was disposed; create a new one with `WorkflowSandboxes.create()`.');
    if (this.brokenBy) {
      throw new IllegalStateError('ERR_ILLEGAL_STATE', `This workflow sandbox is broken (${this.brokenBy.message}); dispose it and create a new one.`, { cause: this.brokenBy });
    }
    return this.sandbox;
  }
}

function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

function deadlock(timeoutMs: number, cause: unknown): BastionError {
  return new WorkflowError(
    'ERR_WORKFLOW_TASK_DEADLOCK',
    `workflow code did not yield within ${timeoutMs} ms (infinite loop or heavy synchronous work); the workflow task fails and is retried`,
    { cause },
  );
}

function describe(reason: unknown): string {
  try {
    return typeof reason === 'object' && reason !== null && 'message' in reason ? String((reason as Error).message) : String(reason);
  } catch {
    return '<unprintable>';
  }
}
