/**
 * Cancellation scopes, as in @temporalio/workflow: a tree of scopes; cancelling one
 * cancels its cancellable descendants; operations started in a scope (timers,
 * activities, children) are cancelled with it. The current scope follows async calls
 * through an AsyncLocalStorage the host puts in the sandbox.
 */
import { CancelledFailure } from '../../converter';
import { msFromDurationInSandbox } from './durations';
import { activator, hasActivator } from './current';

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

// One storage and one sleep for every run of the context; each run's root scope is its
// activator's (see current.ts).
let storage: Storage<CancellationScope> | undefined;
/** The runtime's hook for `withTimeout` (a durable timer). */
let sleepHook: ((ms: number) => Promise<void>) | undefined;
/** Set while a run's root scope is made: it has no parent. */
let creatingRoot = false;

/** The current run's root scope, if a run is current. */
function currentRoot(): CancellationScope | undefined {
  return hasActivator() ? activator().rootScope : undefined;
}

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
  /** The root scope of the run this scope belongs to. */
  private readonly root: CancellationScope;

  constructor(options: CancellationScopeOptions = {}) {
    this.cancellable = options.cancellable ?? true;
    this.timeoutMs = options.timeout === undefined ? undefined : msFromDurationInSandbox(options.timeout, 'timeout');
    this.cancelRequested = new Promise<never>((_, reject) => {
      this.rejectCancel = reject;
    });
    this.cancelRequested.catch(() => undefined);
    const parent = options.parent ?? (creatingRoot ? undefined : CancellationScope.currentOrUndefined());
    this.root = parent ? parent.root : this;
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
        storage!
          .run(parent, () => sleepHook!(this.timeoutMs!))
          .then(
            () => this.cancel(),
            () => undefined,
          );
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
    const s = CancellationScope.currentOrUndefined();
    if (!s) throw new Error('CancellationScope used outside a workflow');
    return s;
  }

  /**
   * The scope of the async chain if it belongs to the current run, else the run's root.
   * A store of another run can be left on the host's async context when a timeout
   * terminated workflow code inside `run` (its `finally` never ran); it is ignored.
   */
  private static currentOrUndefined(): CancellationScope | undefined {
    const root = currentRoot();
    const s = storage?.getStore();
    return s !== undefined && s.root === root ? s : root;
  }

  /** @internal A run's root scope (made by its Activator). */
  static createRoot(): CancellationScope {
    creatingRoot = true;
    try {
      return new CancellationScope({ cancellable: true });
    } finally {
      creatingRoot = false;
    }
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

/** Called once per sandbox context by the runtime (shared by the runs of the context). */
export function initScopes(s: Storage<CancellationScope>, sleep: (ms: number) => Promise<void>): void {
  storage = s;
  sleepHook = sleep;
}
