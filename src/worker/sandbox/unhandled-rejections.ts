/**
 * Keeps a promise rejection that workflow code leaves unhandled from crashing the worker.
 *
 * Node reports unhandled rejections process-wide, and by default a rejection nobody
 * listens for ends the process. One process listener tells a sandbox's promises apart
 * by their realm's `Promise.prototype` and hands them to that sandbox; any other
 * rejection is re-thrown as Node would have done, unless the application listens too.
 */

/** Receives the rejections of one sandbox's promises. */
export interface RejectionSink {
  rejected(promise: Promise<unknown>, reason: unknown): void;
  handled(promise: Promise<unknown>): void;
}

// Keyed by the context's Promise.prototype: the entry lives exactly as long as the context.
const sinks = new WeakMap<object, RejectionSink>();
let installed = false;

/** Routes rejections of promises made in the realm of `promisePrototype` to `sink`. */
export function trackRejections(promisePrototype: object, sink: RejectionSink): void {
  sinks.set(promisePrototype, sink);
  if (!installed) {
    installed = true;
    process.on('unhandledRejection', onUnhandledRejection);
    process.on('rejectionHandled', onRejectionHandled);
  }
}

function sinkOf(promise: unknown): RejectionSink | undefined {
  // Walk a few steps: workflow code may reject a promise of a Promise subclass.
  let proto = typeof promise === 'object' && promise !== null ? Object.getPrototypeOf(promise) : null;
  for (let i = 0; proto && i < 4; i++, proto = Object.getPrototypeOf(proto)) {
    const sink = sinks.get(proto);
    if (sink) return sink;
  }
  return undefined;
}

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  const sink = sinkOf(promise);
  if (sink) {
    sink.rejected(promise, reason);
    return;
  }
  // Ours is the only listener: do what Node does without one (--unhandled-rejections=throw).
  if (process.listenerCount('unhandledRejection') === 1) throw reason;
}

function onRejectionHandled(promise: Promise<unknown>): void {
  sinkOf(promise)?.handled(promise);
}
