/**
 * OpenTelemetry tracing for Bastion's client, worker, workflows and activities, wire
 * compatible with @temporalio/interceptors-opentelemetry 1.24: the same `_tracer-data`
 * header and format, the same span names, so one trace runs through official and Bastion
 * processes alike. Needs the optional peer `@opentelemetry/api` (^1.9.0), loaded on first use.
 *
 * ```ts
 * import { OpenTelemetryWorkflowClientInterceptor, openTelemetryActivityInterceptors,
 *          makeWorkflowExporter, WORKFLOW_INTERCEPTORS_MODULE } from 'bastion-temporal/tracing';
 * const client = new Client({ connection, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
 * const worker = await Worker.create({
 *   connection, taskQueue: 'q', workflowsPath, activities,
 *   interceptors: { workflowModules: [WORKFLOW_INTERCEPTORS_MODULE], activity: [openTelemetryActivityInterceptors()] },
 *   sinks: { exporter: makeWorkflowExporter(spanExporter, resource) },
 * });
 * ```
 */
import * as path from 'node:path';

export { OpenTelemetryWorkflowClientInterceptor } from './client-interceptor';
export type { InterceptorOptions } from './client-interceptor';
export { OpenTelemetryActivityInboundInterceptor, openTelemetryActivityInterceptors } from './activity-interceptor';
export { makeWorkflowExporter, toReadableSpan } from './workflow-exporter';
export type { SpanExporterLike, SpanProcessorLike, WorkflowReadableSpan } from './workflow-exporter';
export type { SerializedSpan, OpenTelemetryWorkflowExporter } from './workflow-interceptors';
export { extractContextFromHeaders, headersWithContext } from './propagation';
export { instrument } from './instrument';
export type { InstrumentOptions } from './instrument';
export { TRACE_HEADER, RUN_ID_ATTR_KEY, WORKFLOW_ID_ATTR_KEY, ACTIVITY_ID_ATTR_KEY, TERMINATE_REASON_ATTR_KEY, SpanName, SPAN_DELIMITER } from './definitions';
export { OTEL_API_RANGE } from './otel-api';

/**
 * The workflow interceptor module of tracing (`interceptors.workflowModules`); to combine
 * it with your own, import `OpenTelemetryInboundInterceptor` and
 * `OpenTelemetryOutboundInterceptor` from `bastion-temporal/tracing/workflow` in your module.
 */
export const WORKFLOW_INTERCEPTORS_MODULE: string = path.join(__dirname, 'workflow-interceptors.js');
