/**
 * Workflow-side tracing, run inside the workflow sandbox: `RunWorkflow:<type>` around the
 * run (child of the client's span from the `_tracer-data` header), `StartActivity:<type>`
 * (activities and local activities), `StartChildWorkflow:<type>`, `SignalWorkflow:<name>`
 * and `ContinueAsNew:<type>` around outbound calls (whose headers carry their context on),
 * `HandleSignal:<name>` and `HandleQuery:<name>` around handlers. Names, header and format are those of
 * @temporalio/interceptors-opentelemetry 1.24.
 *
 * Workflow code stays deterministic: no OpenTelemetry SDK runs in the sandbox. Span ids are
 * derived from the run id and a counter (the same on replay, and the workflow's
 * `Math.random` sequence is left alone), times are workflow time, and each finished span
 * leaves through the `exporter` sink, which the worker runs outside the sandbox and drops
 * during replay (give the worker `sinks: { exporter: makeWorkflowExporter(exporter, resource) }`).
 *
 * Use it as the worker's workflow interceptor module
 * (`workflowModules: [WORKFLOW_INTERCEPTORS_MODULE]`), or compose the classes in your own.
 */
import { ContinueAsNew, defaultPayloadConverter, proxySinks, workflowInfo } from '../../workflow';
import type {
  ActivityInput,
  ContinueAsNewInput,
  Headers,
  LocalActivityInput,
  QueryInput,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '../../workflow';
import { sharedAsyncStorage } from '../../workflow/runtime/async-storage';
import { SPAN_DELIMITER, SpanName, TRACE_HEADER } from './definitions';

/** A span context as the W3C `traceparent` carries it. */
interface SpanContextData {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: string;
  isRemote?: boolean;
}

type HrTime = [number, number];

/** A finished workflow span as it crosses to the worker (the official package's serialized form). */
export interface SerializedSpan {
  name: string;
  kind: number;
  spanContext: SpanContextData;
  parentSpanId?: string;
  startTime: HrTime;
  endTime: HrTime;
  status: { code: number; message?: string };
  attributes: Record<string, string | number | boolean>;
  links: never[];
  events: Array<{ name: string; time: HrTime; attributes?: Record<string, string | number | boolean> }>;
  duration: HrTime;
  ended: true;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  instrumentationLibrary: { name: string };
}

/** The sink finished spans leave through. */
export type OpenTelemetryWorkflowExporter = {
  exporter: { export: (spans: SerializedSpan[]) => void };
};

const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INSTRUMENTATION = { name: '@temporalio/interceptor-workflow' };

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The `exception` event's attributes as OpenTelemetry's `recordException` sets them (type from `code`, else `name`; an empty message left out). */
function exceptionAttributes(err: unknown): Record<string, string> {
  if (typeof err === 'string') return { 'exception.message': err };
  const e = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  const attributes: Record<string, string> = {};
  if (e.code) attributes['exception.type'] = String(e.code);
  else if (e.name) attributes['exception.type'] = String(e.name);
  if (e.message) attributes['exception.message'] = String(e.message);
  return attributes;
}

interface Store {
  get(): SpanContextData | undefined;
  run<R>(ctx: SpanContextData | undefined, fn: () => R): R;
}

/**
 * The active span of workflow code, kept across awaits in the AsyncLocalStorage that all
 * runs of the sandbox context share (one per run would slow every promise of the sandbox
 * thread, see async-storage.ts); a store names its run, so no run sees another's span.
 */
function makeStore(): Store {
  const als = sharedAsyncStorage<{ runId: string; ctx: SpanContextData | undefined }>('tracing-active-span');
  if (!als) {
    let current: SpanContextData | undefined;
    return { get: () => current, run: (ctx, fn) => ((current = ctx), fn()) };
  }
  return {
    get: () => {
      const store = als.getStore();
      return store?.runId === workflowInfo().runId ? store.ctx : undefined;
    },
    run: (ctx, fn) => als.run({ runId: workflowInfo().runId, ctx }, fn),
  };
}

/** The spans of one workflow run. Module state: the bundle evaluates this module per run. */
class WorkflowTracer {
  private readonly store = makeStore();
  private seq = 0;
  private sink?: OpenTelemetryWorkflowExporter['exporter'];

  /** Deterministic ids: the same run makes the same ids on replay. */
  private id(hexChars: number): string {
    const runId = workflowInfo().runId;
    const n = this.seq++;
    let out = '';
    for (let part = 0; out.length < hexChars; part++) out += fnv(`${runId}/${n}/${part}`);
    out = out.slice(0, hexChars);
    return /^0+$/.test(out) ? `${out.slice(0, -1)}1` : out;
  }

  /** The context carried by `headers`, if any. */
  extract(headers: Headers | undefined): SpanContextData | undefined {
    const payload = headers?.[TRACE_HEADER];
    if (!payload) return undefined;
    try {
      const carrier = defaultPayloadConverter.fromPayload<Record<string, string>>(payload as never);
      const m = TRACEPARENT.exec(
        String(carrier?.traceparent ?? '')
          .trim()
          .toLowerCase(),
      );
      if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
      return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), traceState: carrier.tracestate || undefined, isRemote: true };
    } catch {
      return undefined; // a malformed header never fails workflow code
    }
  }

  /** `headers` plus the active span's context in the official format. */
  inject(headers: Headers): Headers {
    const ctx = this.store.get();
    if (!ctx) return headers;
    const carrier: Record<string, string> = { traceparent: `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags.toString(16).padStart(2, '0')}` };
    if (ctx.traceState) carrier.tracestate = ctx.traceState;
    return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) as Headers[string] };
  }

  /** Runs `fn` in a span named `name`, child of `parent` (or of the active span). */
  async instrument<T>(name: string, fn: () => Promise<T>, parent?: SpanContextData, acceptable?: (err: unknown) => boolean): Promise<T> {
    const up = parent ?? this.store.get();
    const ctx: SpanContextData = {
      traceId: up?.traceId ?? this.id(32),
      spanId: this.id(16),
      traceFlags: up?.traceFlags ?? 1,
      traceState: up?.traceState,
    };
    const start = Date.now();
    const span: SerializedSpan = {
      name,
      kind: 0,
      spanContext: ctx,
      parentSpanId: up?.spanId,
      startTime: hrTime(start),
      endTime: hrTime(start),
      status: { code: STATUS_UNSET },
      attributes: {},
      links: [],
      events: [],
      duration: [0, 0],
      ended: true,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
      instrumentationLibrary: INSTRUMENTATION,
    };
    try {
      const value = await this.store.run(ctx, fn);
      span.status = { code: STATUS_OK };
      return value;
    } catch (err) {
      if (acceptable?.(err)) span.status = { code: STATUS_OK };
      else {
        const message = typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
        const benign = (err as { category?: unknown })?.category === 'BENIGN';
        span.status = benign ? { code: STATUS_UNSET, message } : { code: STATUS_ERROR, message };
        const attributes = exceptionAttributes(err);
        if (Object.keys(attributes).length > 0) span.events.push({ name: 'exception', time: hrTime(Date.now()), attributes });
      }
      throw err;
    } finally {
      const end = Date.now();
      span.endTime = hrTime(end);
      span.duration = hrTime(end - start);
      this.export(span);
    }
  }

  private export(span: SerializedSpan): void {
    this.sink ??= proxySinks<OpenTelemetryWorkflowExporter>().exporter;
    this.sink.export([span]);
  }
}

let tracer: WorkflowTracer | undefined;
function getTracer(): WorkflowTracer {
  return (tracer ??= new WorkflowTracer());
}

const isContinueAsNew = (err: unknown) => err instanceof ContinueAsNew || (err as { name?: unknown })?.name === 'ContinueAsNew';

/** Traces the run, its signal handlers and its query handlers. */
export class OpenTelemetryInboundInterceptor implements WorkflowInboundCallsInterceptor {
  protected readonly tracer = getTracer();

  async execute(input: WorkflowExecuteInput, next: (input: WorkflowExecuteInput) => Promise<unknown>): Promise<unknown> {
    const name = `${SpanName.WORKFLOW_EXECUTE}${SPAN_DELIMITER}${workflowInfo().workflowType}`;
    return this.tracer.instrument(name, () => next(input), this.tracer.extract(input.headers), isContinueAsNew);
  }

  async handleSignal(input: SignalInput, next: (input: SignalInput) => Promise<void>): Promise<void> {
    const name = `${SpanName.WORKFLOW_HANDLE_SIGNAL}${SPAN_DELIMITER}${input.signalName}`;
    return this.tracer.instrument(name, () => next(input), this.tracer.extract(input.headers));
  }

  async handleQuery(input: QueryInput, next: (input: QueryInput) => Promise<unknown>): Promise<unknown> {
    const name = `${SpanName.WORKFLOW_HANDLE_QUERY}${SPAN_DELIMITER}${input.queryName}`;
    return this.tracer.instrument(name, () => next(input), this.tracer.extract(input.headers));
  }
}

/** Traces what the workflow starts, and passes the span's context on in headers. */
export class OpenTelemetryOutboundInterceptor implements WorkflowOutboundCallsInterceptor {
  protected readonly tracer = getTracer();

  async scheduleActivity(input: ActivityInput, next: (input: ActivityInput) => Promise<unknown>): Promise<unknown> {
    return this.tracer.instrument(`${SpanName.ACTIVITY_START}${SPAN_DELIMITER}${input.activityType}`, () =>
      next({ ...input, headers: this.tracer.inject(input.headers) }),
    );
  }

  /** Local activities get the same `StartActivity:<type>` span; their `RunActivity` spans run in this worker. */
  async scheduleLocalActivity(input: LocalActivityInput, next: (input: LocalActivityInput) => Promise<unknown>): Promise<unknown> {
    return this.tracer.instrument(`${SpanName.ACTIVITY_START}${SPAN_DELIMITER}${input.activityType}`, () =>
      next({ ...input, headers: this.tracer.inject(input.headers) }),
    );
  }

  async startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: (input: StartChildWorkflowExecutionInput) => Promise<[Promise<string>, Promise<unknown>]>,
  ): Promise<[Promise<string>, Promise<unknown>]> {
    return this.tracer.instrument(`${SpanName.CHILD_WORKFLOW_START}${SPAN_DELIMITER}${input.workflowType}`, () =>
      next({ ...input, headers: this.tracer.inject(input.headers) }),
    );
  }

  async signalWorkflow(input: SignalWorkflowInput, next: (input: SignalWorkflowInput) => Promise<void>): Promise<void> {
    return this.tracer.instrument(`${SpanName.WORKFLOW_SIGNAL}${SPAN_DELIMITER}${input.signalName}`, () =>
      next({ ...input, headers: this.tracer.inject(input.headers) }),
    );
  }

  async continueAsNew(input: ContinueAsNewInput, next: (input: ContinueAsNewInput) => Promise<never>): Promise<never> {
    const type = (input.options as { workflowType?: string }).workflowType ?? workflowInfo().workflowType;
    return this.tracer.instrument(
      `${SpanName.CONTINUE_AS_NEW}${SPAN_DELIMITER}${type}`,
      () => next({ ...input, headers: this.tracer.inject(input.headers) }),
      undefined,
      isContinueAsNew,
    );
  }
}

/** The workflow interceptors of tracing, for `interceptors.workflowModules`. */
export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
});
