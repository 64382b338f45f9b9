/**
 * The worker end of workflow spans: `makeWorkflowExporter(exporterOrProcessor, resource)`
 * is the `exporter` sink that turns the spans workflow code finished into OpenTelemetry
 * `ReadableSpan`s and hands them to your exporter or span processor (the official
 * package's function of the same name and arguments).
 */
import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { WorkflowInfo } from '../../workflow/runtime/workflow-info';
import type { InjectedSink } from '../../worker/sinks';
import type { OpenTelemetryWorkflowExporter, SerializedSpan } from './workflow-interceptors';
import { otelApi } from './otel-api';

/** What `@opentelemetry/sdk-trace-base` calls a `ReadableSpan`, as far as Bastion fills it. */
export interface WorkflowReadableSpan extends Omit<SerializedSpan, 'spanContext'> {
  spanContext(): SpanContext;
  resource: unknown;
  instrumentationScope: { name: string };
}

/** A `SpanExporter` (has `export(spans, callback)`) of `@opentelemetry/sdk-trace-base`. */
export interface SpanExporterLike {
  export(spans: any[], resultCallback: (result: { code: number }) => void): void;
}
/** A `SpanProcessor` (has `onEnd(span)`) of `@opentelemetry/sdk-trace-base`. */
export interface SpanProcessorLike {
  onStart(span: any, parentContext: unknown): void;
  onEnd(span: any): void;
}

/** Workflow fields that become span attributes (the primitive ones of `workflowInfo()`). */
const INFO_ATTRIBUTES = ['workflowId', 'runId', 'workflowType', 'namespace', 'taskQueue', 'attempt', 'firstExecutionRunId'] as const;

function isProcessor(x: SpanExporterLike | SpanProcessorLike): x is SpanProcessorLike {
  return typeof (x as SpanProcessorLike).onEnd === 'function' && typeof (x as SpanProcessorLike).onStart === 'function';
}

/** A workflow span from the sandbox as a `ReadableSpan`. */
export function toReadableSpan(serialized: SerializedSpan, info: Partial<WorkflowInfo>, resource: unknown): WorkflowReadableSpan {
  const api = otelApi();
  const { spanContext: sc, ...rest } = serialized;
  const spanContext: SpanContext = {
    traceId: sc.traceId,
    spanId: sc.spanId,
    traceFlags: sc.traceFlags,
    isRemote: sc.isRemote,
    traceState: sc.traceState ? api.createTraceState(sc.traceState) : undefined,
  };
  const attributes: Attributes = { ...rest.attributes };
  for (const key of INFO_ATTRIBUTES) {
    const v = info[key];
    if (typeof v === 'string' || typeof v === 'number') attributes[key] = v;
  }
  return {
    ...rest,
    startTime: rest.startTime as HrTime,
    endTime: rest.endTime as HrTime,
    attributes: attributes as SerializedSpan['attributes'],
    spanContext: () => spanContext,
    resource,
    instrumentationScope: rest.instrumentationLibrary,
  };
}

/**
 * The `exporter` sink for the worker: `sinks: { exporter: makeWorkflowExporter(new OTLPTraceExporter(), resource) }`.
 * Spans go to `exporterOrProcessor` as they arrive (a processor's `onEnd`, or an exporter's `export`).
 * @throws {ConfigError} `ERR_TRACING_OTEL_MISSING` (when spans arrive) if `@opentelemetry/api` is not installed
 */
export function makeWorkflowExporter(
  exporterOrProcessor: SpanExporterLike | SpanProcessorLike,
  resource?: unknown,
): InjectedSink<OpenTelemetryWorkflowExporter['exporter']> {
  return {
    export: {
      fn: (info: WorkflowInfo, spans: SerializedSpan[]) => {
        const readable = spans.map((s) => toReadableSpan(s, info, resource));
        if (isProcessor(exporterOrProcessor)) for (const span of readable) exporterOrProcessor.onEnd(span);
        else exporterOrProcessor.export(readable, () => undefined);
      },
    },
  };
}
