/**
 * The sandbox factory of one workflow bundle: compiles the bundle once, then gives every
 * workflow run a fresh `node:vm` context that has evaluated it.
 *
 * ```ts
 * const sandboxes = new WorkflowSandboxes(bundle.code, { logger });
 * const sandbox = sandboxes.create();
 * sandbox.call('activate', activation, 5_000);
 * sandbox.dispose();
 * ```
 */
import * as vm from 'node:vm';
import { BundleError, invalidOption } from '../../common/errors';
import { CONSOLE_SANDBOX_LOGGER, type SandboxLogger } from './context-globals';
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
}

/** Compiles a workflow bundle once and makes one sandbox per workflow run. */
export class WorkflowSandboxes {
  private readonly shared: SandboxShared;

  /**
   * @param code a bundle from `bundleWorkflowCode` (its `code`).
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `code` is not a non-empty string or an option is malformed.
   * @throws {BundleError} `ERR_BUNDLE_INVALID` when `code` does not compile.
   */
  constructor(code: string, options: WorkflowSandboxesOptions = {}) {
    if (typeof code !== 'string' || code.length === 0) throw invalidOption('workflowBundle.code', 'must be the non-empty `code` string of a bundle from `bundleWorkflowCode`.');
    const filename = options.filename ?? DEFAULT_BUNDLE_FILENAME;
    const createTimeoutMs = options.createTimeoutMs ?? DEFAULT_SANDBOX_CALL_TIMEOUT_MS;
    if (!Number.isInteger(createTimeoutMs) || createTimeoutMs <= 0) throw invalidOption('createTimeoutMs', `must be a positive whole number of milliseconds, got ${String(createTimeoutMs)}.`);
    let script: vm.Script;
    try {
      script = new vm.Script(code, { filename, ...(options.cachedData ? { cachedData: options.cachedData } : {}) });
    } catch (err) {
      throw new BundleError('ERR_BUNDLE_INVALID', `The workflow bundle does not compile (${(err as Error).message}); build it with \`bundleWorkflowCode\`.`, { cause: err });
    }
    this.shared = {
      script,
      logger: options.logger ?? CONSOLE_SANDBOX_LOGGER,
      prepareStackTrace: new BundleStackTraces(code, filename).prepareStackTrace,
      createTimeoutMs,
      failureOptions: { encodeCommonAttributes: options.encodeCommonAttributes === true },
    };
  }

  /** True when `cachedData` was given and V8 could not use it (the code was compiled instead). */
  get cachedDataRejected(): boolean {
    return this.shared.script.cachedDataRejected === true;
  }

  /**
   * A new sandbox for one workflow run: a fresh context in which the bundle has run
   * (so the runtime's `globalThis.__bastion` is installed). Nothing is shared with
   * other sandboxes except the compiled code.
   * @throws {WorkflowError} `ERR_WORKFLOW_TASK_DEADLOCK` when the bundle's top-level code runs past `createTimeoutMs`.
   * @throws {BundleError} `ERR_BUNDLE_INVALID` when the bundle installs no runtime.
   * @throws whatever the workflow module's top-level code throws, as thrown.
   */
  create(): WorkflowSandbox {
    return new WorkflowSandbox(this.shared);
  }

  /** V8's code cache for the bundle (more complete after sandboxes have run), for `cachedData` next time. */
  createCachedData(): Buffer {
    return this.shared.script.createCachedData();
  }
}
