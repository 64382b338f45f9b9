/**
 * The sandbox factory of one workflow bundle: compiles the bundle once, then gives every
 * workflow run its sandbox: by default a place in one `node:vm` context shared by the
 * bundle's runs (see shared-context.ts), or a context of its own (`reuseContexts: false`).
 *
 * ```ts
 * const sandboxes = new WorkflowSandboxes(bundle.code, { logger });
 * const sandbox = sandboxes.create();
 * sandbox.call('activate', activation, 5_000);
 * sandbox.dispose();
 * ```
 */
import * as vm from 'node:vm';
import { BundleError, IllegalStateError, booleanOption, invalidOption } from '../../common/errors';
import { MODULE_CACHE_GLOBAL } from '../bundler';
import { CONSOLE_SANDBOX_LOGGER, type SandboxLogger } from './context-globals';
import { SharedContext } from './shared-context';
import { BundleStackTraces } from './stack-traces';
import { DEFAULT_SANDBOX_CALL_TIMEOUT_MS, WorkflowSandbox, type SandboxShared } from './workflow-sandbox';

/** The name stack traces give the bundle. @default 'bastion-workflow-bundle.js' */
export const DEFAULT_BUNDLE_FILENAME = 'bastion-workflow-bundle.js';

/** Options of {@link WorkflowSandboxes}. */
export interface WorkflowSandboxesOptions {
  /** Receives what workflow code writes to `console`. @default the host's console */
  logger?: SandboxLogger;
  /** The bundle's name in stack traces. @default {@link DEFAULT_BUNDLE_FILENAME} */
  filename?: string;
  /** V8 code cache from {@link WorkflowSandboxes.createCachedData} of the same code, to skip compiling. */
  cachedData?: Buffer;
  /** How long the bundle's top-level code may run in each new sandbox. @default {@link DEFAULT_SANDBOX_CALL_TIMEOUT_MS} */
  createTimeoutMs?: number;
  /**
   * Workflow failures carry their message and stack trace in `encodedAttributes` (for
   * payload codecs to encrypt). The worker sets it from its data converter.
   * @default false
   */
  encodeCommonAttributes?: boolean;
  /**
   * Run the workflows of this bundle in one shared `node:vm` context (the official SDK's
   * `reuseV8Context`): the bundle is evaluated once, Bastion's runtime and the built-ins
   * are shared and frozen, and each run gets its own instances of the user's modules,
   * its own Activator and its own globals. Much cheaper in CPU and memory than a context
   * per run. Workflow code that mutates a built-in (`Array.prototype.x = …`,
   * `Math.max = …`) throws a `TypeError` then. See shared-context.ts for what is and is
   * not isolated. `false` gives every run a new context in which the whole bundle is
   * evaluated. Bundles not built by this version's `bundleWorkflowCode` always get a
   * context per run.
   * @default true
   */
  reuseContexts?: boolean;
}

/** Compiles a workflow bundle once and makes one sandbox per workflow run. */
export class WorkflowSandboxes {
  private readonly shared: SandboxShared;
  /** Whether runs share a context: asked for, and possible with this bundle. */
  private share: boolean;
  private context: SharedContext | undefined;
  private closed = false;

  /**
   * @param code a bundle from `bundleWorkflowCode` (its `code`).
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `code` is not a non-empty string or an option is malformed.
   * @throws {BundleError} `ERR_BUNDLE_INVALID` when `code` does not compile.
   */
  constructor(code: string, options: WorkflowSandboxesOptions = {}) {
    if (typeof code !== 'string' || code.length === 0)
      throw invalidOption('workflowBundle.code', 'must be the non-empty `code` string of a bundle from `bundleWorkflowCode`.');
    const filename = options.filename ?? DEFAULT_BUNDLE_FILENAME;
    const createTimeoutMs = options.createTimeoutMs ?? DEFAULT_SANDBOX_CALL_TIMEOUT_MS;
    if (!Number.isInteger(createTimeoutMs) || createTimeoutMs <= 0)
      throw invalidOption('createTimeoutMs', `must be a positive whole number of milliseconds, got ${String(createTimeoutMs)}.`);
    const reuse = booleanOption(options.reuseContexts, 'reuseContexts', true);
    let script: vm.Script;
    try {
      script = new vm.Script(code, { filename, ...(options.cachedData ? { cachedData: options.cachedData } : {}) });
    } catch (err) {
      throw new BundleError('ERR_BUNDLE_INVALID', `The workflow bundle does not compile (${(err as Error).message}); build it with \`bundleWorkflowCode\`.`, {
        cause: err,
      });
    }
    this.shared = {
      script,
      logger: options.logger ?? CONSOLE_SANDBOX_LOGGER,
      prepareStackTrace: new BundleStackTraces(code, filename).prepareStackTrace,
      createTimeoutMs,
      failureOptions: { encodeCommonAttributes: options.encodeCommonAttributes === true },
    };
    this.share = reuse;
    if (this.share && !code.includes(MODULE_CACHE_GLOBAL))
      this.noSharing(`its module cache is not kept in \`${MODULE_CACHE_GLOBAL}\` (a custom or prebuilt bundle)`);
  }

  private noSharing(reason: string): void {
    this.share = false;
    this.shared.logger.debug('workflow runs of this bundle get a sandbox context each', { reason });
  }

  /** True when `cachedData` was given and V8 could not use it (the code was compiled instead). */
  get cachedDataRejected(): boolean {
    return this.shared.script.cachedDataRejected === true;
  }

  /**
   * A new sandbox for one workflow run: its place in the bundle's shared context (made on
   * first use), or a new context in which the bundle has just run. Module state and
   * globals are not shared with other sandboxes; the compiled code is.
   * @throws {WorkflowError} `ERR_WORKFLOW_TASK_DEADLOCK` when the bundle's (or the run's modules') top-level code runs past `createTimeoutMs`.
   * @throws {BundleError} `ERR_BUNDLE_INVALID` when the bundle installs no runtime.
   * @throws whatever the workflow module's top-level code throws, as thrown.
   * @throws {IllegalStateError} `ERR_ILLEGAL_STATE` after {@link close}.
   */
  create(): WorkflowSandbox {
    if (this.closed) throw new IllegalStateError('ERR_ILLEGAL_STATE', 'These workflow sandboxes were closed; make a new `WorkflowSandboxes` for more runs.');
    if (!this.share) return new WorkflowSandbox(this.shared);
    for (let attempt = 0; ; attempt++) {
      if (!this.context || this.context.retired) {
        const load = SharedContext.load(this.shared);
        if (!load.ok) {
          this.noSharing(load.reason);
          return new WorkflowSandbox(this.shared);
        }
        this.context = load.context;
      }
      try {
        return new WorkflowSandbox(this.shared, this.context);
      } catch (err) {
        // An earlier run left the context unusable (see SharedContext): use a new one.
        if (attempt > 0 || !(err instanceof IllegalStateError) || !this.context.retired) throw err;
      }
    }
  }

  /**
   * Lets go of the bundle's shared context: runs still live keep working, no new run may
   * be created, and the context's resources go once its last run is disposed. Idempotent.
   * A `WorkflowSandboxes` that is dropped without `close()` keeps its shared context alive
   * for the life of the process (Node holds its AsyncLocalStorage instances).
   */
  close(): void {
    this.closed = true;
    this.context?.retire();
    this.context = undefined;
  }

  /** True when this bundle's runs share one context (`reuseContexts`, and a bundle that allows it). */
  get sharesContext(): boolean {
    return this.share;
  }

  /** V8's code cache for the bundle (more complete after sandboxes have run), for `cachedData` next time. */
  createCachedData(): Buffer {
    return this.shared.script.createCachedData();
  }
}
