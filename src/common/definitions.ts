/**
 * Type-level shapes shared by workflow code and the Client: workflow functions and the
 * signal and query definitions that `defineSignal` / `defineQuery` return. The phantom
 * fields carry argument and result types, so `handle.signal(def, ...args)` and
 * `handle.query(def, ...args)` are checked the way the official client checks them.
 */

/** A workflow function: any function that returns a promise. */
export type Workflow = (...args: any[]) => Promise<unknown>;

/** What awaiting a workflow of type `W` yields. */
export type WorkflowResultType<W extends Workflow> = Awaited<ReturnType<W>>;

/** A signal definition (`defineSignal<[number]>('add')`). */
export interface SignalDefinition<Args extends unknown[] = [], Name extends string = string> {
  type: 'signal';
  name: Name;
  /** Phantom field for typing only; never present at run time. */
  __args?: Args;
}

/** A query definition (`defineQuery<number, [string]>('total')`). */
export interface QueryDefinition<Ret, Args extends unknown[] = [], Name extends string = string> {
  type: 'query';
  name: Name;
  /** Phantom fields for typing only; never present at run time. */
  __ret?: Ret;
  __args?: Args;
}

/** An update definition (`defineUpdate<number, [number]>('add')`). */
export interface UpdateDefinition<Ret, Args extends unknown[] = [], Name extends string = string> {
  type: 'update';
  name: Name;
  /** Phantom fields for typing only; never present at run time. */
  __ret?: Ret;
  __args?: Args;
}

/**
 * `args` as the workflow function declares them: required when it takes parameters,
 * optional when it takes none (the official client's rule).
 */
export type WithWorkflowArgs<W extends Workflow, T> = T &
  (Parameters<W> extends [any, ...any[]] ? { args: Parameters<W> | Readonly<Parameters<W>> } : { args?: Parameters<W> | Readonly<Parameters<W>> });
