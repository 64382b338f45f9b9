/**
 * OpenTelemetry for tests: a global tracer provider whose spans land in an in-memory
 * exporter, the W3C propagator, and a context manager over AsyncLocalStorage (what
 * `@opentelemetry/context-async-hooks` would give an application).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as api from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A context manager over AsyncLocalStorage, as `@opentelemetry/context-async-hooks` gives an application. */
export class AlsContextManager implements api.ContextManager {
  private readonly als = new AsyncLocalStorage<api.Context>();
  active(): api.Context {
    return this.als.getStore() ?? api.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: api.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(context: api.Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return ((...a: unknown[]) => this.with(context, () => fn(...a))) as unknown as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.als.disable();
    return this;
  }
}

/** Registers the global tracer provider once; returns its exporter. */
let exporter: InMemorySpanExporter | undefined;
export function installInMemoryTracing(): InMemorySpanExporter {
  if (exporter) return exporter;
  exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider();
  provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
  provider.register({ contextManager: new AlsContextManager() });
  return exporter;
}

/** A span as the assertions read it. */
export interface SpanView {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: number;
}

export function view(spans: ReadableSpan[]): SpanView[] {
  return spans.map((s) => ({
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanId,
    attributes: { ...s.attributes },
    status: s.status.code,
  }));
}

/**
 * Checks that `names` form one chain in one trace (each the parent of the next) and
 * returns the spans in that order; a message lists every span otherwise.
 */
export function chainOf(spans: SpanView[], names: string[]): SpanView[] {
  const found = names.map((n) => {
    const s = spans.find((x) => x.name === n);
    if (!s) throw new Error(`no span ${n}; spans: ${JSON.stringify(spans.map((x) => x.name))}`);
    return s;
  });
  for (let i = 1; i < found.length; i++) {
    const [parent, child] = [found[i - 1]!, found[i]!];
    if (child.traceId !== parent.traceId) throw new Error(`${child.name} is in trace ${child.traceId}, ${parent.name} in ${parent.traceId}`);
    if (child.parentSpanId !== parent.spanId) throw new Error(`${child.name}'s parent is ${child.parentSpanId}, not ${parent.name} (${parent.spanId})`);
  }
  return found;
}

/** A tracer provider of its own (not the global one) with its own in-memory exporter: spans of one SDK kept apart. */
export function inMemoryProvider(): { exporter: InMemorySpanExporter; tracer(name: string): api.Tracer } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider();
  provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
  return { exporter, tracer: (name) => provider.getTracer(name) };
}

/** The one span named `name` whose parent is `parent`; a message lists every span otherwise. */
export function childOf(spans: SpanView[], parent: SpanView, name: string): SpanView {
  const found = spans.filter((s) => s.name === name && s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
  if (found.length !== 1)
    throw new Error(`${found.length} spans ${name} under ${parent.name}; spans: ${JSON.stringify(spans.map((s) => [s.name, s.spanId, s.parentSpanId]))}`);
  return found[0]!;
}

/**
 * The trees of `spans` as one string: each span as `name[status]`, its children in
 * braces, siblings sorted, so two SDKs' traces of the same work compare equal.
 */
export function shapeOf(spans: SpanView[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const render = (s: SpanView): string => {
    const children = spans
      .filter((c) => c.parentSpanId === s.spanId)
      .map(render)
      .sort();
    return `${s.name}[${s.status}]${children.length ? `{${children.join(',')}}` : ''}`;
  };
  return spans
    .filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId))
    .map(render)
    .sort()
    .join(',');
}
