/**
 * AsyncLocalStorage for Bastion's code in the workflow sandbox: one instance per name and
 * sandbox context, made on first use. This module is loaded with the bundle, so when runs
 * share a context (`reuseV8Context`) they share its instances too, even when the caller is
 * a module evaluated per run (a workflow interceptor module). That matters: Node keeps
 * every AsyncLocalStorage that ever ran something in a per-thread list until the context
 * is disposed, and visits all of them each time a promise is made, so one new instance per
 * run makes every promise of the thread slower run after run. Each `run()` keeps its store
 * on its own async chain: runs sharing an instance do not see each other's stores.
 */

/** The part of AsyncLocalStorage the runtime uses. */
export interface AsyncStorage<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

const storages = new Map<string, AsyncStorage<unknown>>();

/** The context's storage named `name`; undefined where the sandbox provides no AsyncLocalStorage. */
export function sharedAsyncStorage<T>(name: string): AsyncStorage<T> | undefined {
  let storage = storages.get(name);
  if (!storage) {
    const ALS = (globalThis as { AsyncLocalStorage?: new () => AsyncStorage<unknown> }).AsyncLocalStorage;
    if (!ALS) return undefined;
    storage = new ALS();
    storages.set(name, storage);
  }
  return storage as AsyncStorage<T>;
}
