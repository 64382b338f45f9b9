/**
 * The global object of a workflow sandbox: the JavaScript built-ins of a fresh `node:vm`
 * context, plus a few deterministic host APIs, a `console` that writes to the worker's
 * logger, and stand-ins for the APIs the sandbox forbids.
 *
 * Not present on purpose: `require`, `process`, `Buffer`, `setTimeout`/`setInterval`/
 * `setImmediate` (the workflow runtime installs durable timers), `fetch`, `AbortController`
 * (`AbortSignal.timeout` would fire on the wall clock), `structuredClone`, `WeakRef` and
 * `FinalizationRegistry` (replaced by constructors that throw).
 */
import * as assert from 'node:assert';
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import * as vm from 'node:vm';
import { SANDBOX_INTERNAL_PREFIX } from './stack-traces';
import type { Logger } from '../../common/logger';
import { workflowLogFields } from '../../common/log-fields';

/** What the sandbox's `console` learns of the current run (undefined outside a run). */
interface ConsoleRun {
  replaying?: unknown;
  info?: Record<string, unknown>;
}

/** Where the sandbox's `console` writes (a `WorkerLogger` fits). */
export type SandboxLogger = Logger;

/** What a sandbox's context needs from its host. */
export interface ContextHost {
  logger: SandboxLogger;
  prepareStackTrace: (error: unknown, callSites: NodeJS.CallSite[]) => string;
  /**
   * How workflow code's errors become failures (read by the converter's `errorToFailure`
   * through the `__bastion_failure_options` global). @default plain failures
   */
  failureOptions?: { encodeCommonAttributes: boolean };
  /**
   * The bundle's webpack module cache (`globalThis.__webpack_module_cache__`, see
   * MODULE_CACHE_GLOBAL in ../bundler.ts); a context that hosts one run needs none.
   */
  moduleCache?: object;
}

/** Globals whose objects belong to the host, not to the context (never frozen by the sandbox). */
export const HOST_GLOBALS: readonly string[] = Object.freeze([
  'TextEncoder',
  'TextDecoder',
  'URL',
  'URLSearchParams',
  'AsyncLocalStorage',
  '__bastion_drain',
  '__bastion_builtins',
  '__bastion_failure_options',
  '__webpack_module_cache__',
]);

/** A prepared context, and what its host must release when the sandbox is disposed. */
export interface SandboxContext {
  context: vm.Context;
  /** The context's own `Promise.prototype`, to tell its promises apart from others. */
  promisePrototype: object;
  /** Disables the `AsyncLocalStorage` instances made in this context. */
  release(): void;
}

const CONSOLE_LEVELS: Readonly<Record<string, 'debug' | 'info' | 'warn' | 'error'>> = {
  log: 'info',
  info: 'info',
  warn: 'warn',
  error: 'error',
  debug: 'debug',
  trace: 'debug',
};

/** Evaluating nothing in a context with `microtaskMode: 'afterEvaluate'` runs its queued promise jobs. */
const DRAIN = new vm.Script('undefined', { filename: `${SANDBOX_INTERNAL_PREFIX}drain` });

/** Runs once in each new context, before the bundle; returns the context's Promise.prototype. */
const SETUP = new vm.Script(
  `(function setup(host) {
  'use strict';
  const define = (name, value, writable) =>
    Object.defineProperty(globalThis, name, { value, writable, configurable: writable, enumerable: false });
  for (const name of ['WeakRef', 'FinalizationRegistry']) {
    const message = name + ' is not allowed in workflow code: its behaviour depends on garbage collection, '
      + 'which breaks deterministic replay. Move the code that needs it to an activity.';
    const forbidden = { [name]: function () {
      const error = new TypeError(message);
      error.code = 'ERR_WORKFLOW_FORBIDDEN_API';
      Object.defineProperty(error, Symbol.for('bastion.error'), { value: true });
      Object.defineProperty(error, Symbol.for('bastion.error.area'), { value: 'workflow' });
      throw error;
    } }[name];
    define(name, forbidden, false);
  }
  // Node's main realm has these; TypeScript's \`using\` helpers look for them.
  if (typeof Symbol.dispose !== 'symbol') Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('nodejs.dispose') });
  if (typeof Symbol.asyncDispose !== 'symbol') Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('nodejs.asyncDispose') });
  // The host's queueMicrotask would queue on the host's queue, outside the activation.
  define('queueMicrotask', function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeError('queueMicrotask expects a function');
    Promise.resolve().then(() => callback());
  }, true);
  const write = host.write;
  const console = {};
  // The workflow runtime defines \`__bastion_console_run\` (install.ts): the current run's
  // replay flag and info, so a record names its run and replay writes nothing.
  for (const level of host.levels) console[level] = function (...args) {
    const run = typeof globalThis.__bastion_console_run === 'function' ? globalThis.__bastion_console_run() : undefined;
    write(level, args, run);
  };
  define('console', console, true);
  Error.prepareStackTrace = host.prepareStackTrace;
  return Promise.prototype;
})`,
  { filename: `${SANDBOX_INTERNAL_PREFIX}setup` },
);

/**
 * Makes a fresh context for one workflow run, or for all runs of a bundle (see
 * shared-context.ts): no code generation from strings, no
 * WebAssembly, and promise jobs that run inside each `runInContext` call (so they
 * finish within its timeout).
 */
export function createSandboxContext(host: ContextHost): SandboxContext {
  const storages: Array<AsyncLocalStorage<unknown>> = [];
  class SandboxAsyncLocalStorage<T> extends AsyncLocalStorage<T> {
    constructor() {
      super();
      storages.push(this as AsyncLocalStorage<unknown>);
    }
  }
  const context = vm.createContext(
    {},
    {
      name: 'bastion workflow sandbox',
      microtaskMode: 'afterEvaluate',
      codeGeneration: { strings: false, wasm: false },
    },
  );
  const hostGlobals: Record<string, unknown> = {
    TextEncoder,
    TextDecoder,
    URL,
    URLSearchParams,
    // The workflow runtime keeps the current cancellation scope in one.
    AsyncLocalStorage: SandboxAsyncLocalStorage,
  };
  for (const [name, value] of Object.entries(hostGlobals)) {
    Object.defineProperty(context, name, { value, writable: true, configurable: true, enumerable: false });
  }
  // Runs the context's queued promise jobs now: lets one timed call (see
  // WorkflowSandbox.runActivation) settle workflow code between its steps.
  Object.defineProperty(context, '__bastion_drain', { value: () => void DRAIN.runInContext(context), writable: false, configurable: false, enumerable: false });
  // The bundle's `assert` shim reads it (see ALLOWED_BUILTIN_MODULES in ../bundler.ts).
  Object.defineProperty(context, '__bastion_builtins', { value: Object.freeze({ assert }), writable: false, configurable: false, enumerable: false });
  if (host.moduleCache) {
    Object.defineProperty(context, '__webpack_module_cache__', { value: host.moduleCache, writable: false, configurable: false, enumerable: false });
  }
  if (host.failureOptions?.encodeCommonAttributes) {
    // SANDBOX_FAILURE_OPTIONS_GLOBAL in src/converter/failure-converter.ts.
    Object.defineProperty(context, '__bastion_failure_options', {
      value: Object.freeze({ encodeCommonAttributes: true }),
      writable: false,
      configurable: false,
      enumerable: false,
    });
  }

  const { logger } = host;
  const write = (level: string, args: unknown[], run: ConsoleRun | undefined): void => {
    if (run?.replaying === true) return; // as the official sandbox's console: silent in replay
    const method = CONSOLE_LEVELS[level] ?? 'info';
    const fields = run?.info && typeof run.info === 'object' ? workflowLogFields(run.info) : {};
    logger[method](format(...args), { ...fields, source: 'workflow console', level });
  };
  // The sink of `log` from bastion/workflow (and of the runtime's own warnings, e.g. unfinished update handlers).
  Object.defineProperty(context, '__bastionLog', {
    value: (level: string, message: unknown, attrs: Record<string, unknown> | undefined) => {
      const method = CONSOLE_LEVELS[level] ?? 'info';
      logger[method](String(message), { ...(attrs ?? {}), source: 'workflow' });
    },
    writable: false,
    configurable: false,
    enumerable: false,
  });
  const setup = SETUP.runInContext(context) as (host: object) => object;
  const promisePrototype = setup({ write, levels: Object.keys(CONSOLE_LEVELS), prepareStackTrace: host.prepareStackTrace });
  return {
    context,
    promisePrototype,
    release() {
      for (const storage of storages.splice(0)) storage.disable();
    },
  };
}

/** A logger that writes through the host's `console`, used when none is given. */
export const CONSOLE_SANDBOX_LOGGER: SandboxLogger = {
  debug: (message) => console.debug(message),
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};
