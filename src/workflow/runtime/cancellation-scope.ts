/**
 * Cancellation scopes, as in @temporalio/workflow: a tree of scopes; cancelling one
 * cancels its cancellable descendants; operations started in a scope (timers,
 * activities, children) are cancelled with it. The current scope follows async calls
 * through an AsyncLocalStorage the host puts in the sandbox.
 */
import { CancelledFailure } from '../../converter';
import { msFromDurationInSandbox } from './durations';

interface Storage<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

export interface CancellationScopeOptions {
  /** Whether the scope can be cancelled (by its parent or with `cancel()`). @default true */
  cancellable?: boolean;
  parent?: CancellationScope;
  /** Cancel the scope after this long. */
  timeout?: number | string;
}

let storage: Storage<CancellationScope> | undefined;
let rootScope: CancellationScope | undefined;
/** The runtime's hook for `withTimeout` (a durable timer). */
let sleepHook: ((ms: number) => Promise<void>) | undefined;

export class CancellationScope {
  readonly cancellable: boolean;
  readonly parent?: CancellationScope;
  /** Rejects with a CancelledFailure when this scope is cancelled. */
  readonly cancelRequested: Promise<never>;
  private rejectCancel!: (err: unknown) => void;
  private cancelled = false;
  private readonly listeners = new Set<(err: CancelledFailure) => void>();
  private readonly children = new Set<CancellationScope>();
  private readonly timeoutMs?: number;

  constructor(options: CancellationScopeOptions = {}) {
    this.cancellable = options.cancellable ?? true;
    this.timeoutMs = options.timeout === undefined ? undefined : msFromDurationInSandbox(options.timeout, 'timeout');
    this.cancelRequested = new Promise<never>((_, reject) => {
      this.rejectCancel = reject;
    });
    this.cancelRequested.catch(() => undefined);
    const parent = options.parent ?? (rootScope ? CancellationScope.current() : undefined);
    if (parent) {
      this.parent = parent;
      parent.children.add(this);
      if (this.cancellable && parent.consideredCancelled) this.cancel();
    }
  }

  /** True once this scope, or a cancellable ancestor chain, was cancelled. */
  get consideredCancelled(): boolean {
    return this.cancelled;
  }

  /** Runs `fn` in this scope; if the scope has a timeout, it is cancelled when it passes. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (!storage) throw new Error('CancellationScope used outside a workflow');
    return storage.run(this, () => {
      if (this.timeoutMs !== undefined && sleepHook) {
        const parent = this.parent ?? this;
        storage!.run(parent, () => sleepHook!(this.timeoutMs!)).then(() => this.cancel(), () => undefined);
      }
      return fn();
    });
  }

  /** Cancels this scope and its cancellable descendants. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const err = new CancelledFailure('Cancellation scope cancelled');
    this.rejectCancel(err);
    for (const l of [...this.listeners]) l(err);
    for (const c of this.children) if (c.cancellable) c.cancel();
  }

  /** Registers a callback for cancellation; returns an unsubscribe. */
  onCancel(listener: (err: CancelledFailure) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  static current(): CancellationScope {
    const s = storage?.getStore() ?? rootScope;
    if (!s) throw new Error('CancellationScope used outside a workflow');
    return s;
  }

  static cancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: true }).run(fn);
  }

  static nonCancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: false }).run(fn);
  }

  static withTimeout<T>(timeout: number | string, fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: true, timeout }).run(fn);
  }
}

/** Called once per sandbox by the runtime. */
export function initScopes(s: Storage<CancellationScope>, root: CancellationScope, sleep: (ms: number) => Promise<void>): void {
  storage = s;
  rootScope = root;
  sleepHook = sleep;
}
