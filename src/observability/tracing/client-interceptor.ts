/**
 * Client-side tracing: each workflow call of a Bastion `Client` runs in a span named as
 * the official package names it, and start/signal/query carry the span's context to the
 * worker in the `_tracer-data` header.
 */
import type { Tracer } from '@opentelemetry/api';
import type {
  WorkflowCancelInput,
  WorkflowClientInterceptor,
  WorkflowDescribeInput,
  WorkflowQueryInput,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
  WorkflowTerminateInput,
} from '../../client/interceptors';
import { RUN_ID_ATTR_KEY, SPAN_DELIMITER, SpanName, TERMINATE_REASON_ATTR_KEY, WORKFLOW_ID_ATTR_KEY } from './definitions';
import { instrument } from './instrument';
import { otelApi } from './otel-api';
import { headersWithContext } from './propagation';

/** Options of the tracing interceptors. */
export interface InterceptorOptions {
  /** @default the global tracer provider's tracer named as the official package names it */
  tracer?: Tracer;
}

/**
 * Traces a `Client`'s workflow calls (`new Client({ interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } })`).
 * @throws {ConfigError} `ERR_TRACING_OTEL_MISSING` when `@opentelemetry/api` is not installed
 */
export class OpenTelemetryWorkflowClientInterceptor implements WorkflowClientInterceptor {
  protected readonly tracer: Tracer;

  constructor(options?: InterceptorOptions) {
    this.tracer = options?.tracer ?? otelApi().trace.getTracer('@temporalio/interceptor-client');
  }

  async start(input: WorkflowStartInput, next: (input: WorkflowStartInput) => Promise<string>): Promise<string> {
    return instrument({
      tracer: this.tracer,
      spanName: `${SpanName.WORKFLOW_START}${SPAN_DELIMITER}${input.workflowType}`,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.options.workflowId);
        const runId = await next({ ...input, headers: headersWithContext(input.headers) });
        span.setAttribute(RUN_ID_ATTR_KEY, runId);
        return runId;
      },
    });
  }

  async signal(input: WorkflowSignalInput, next: (input: WorkflowSignalInput) => Promise<void>): Promise<void> {
    return instrument({
      tracer: this.tracer,
      spanName: `${SpanName.WORKFLOW_SIGNAL}${SPAN_DELIMITER}${input.signalName}`,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.workflowExecution.workflowId);
        await next({ ...input, headers: headersWithContext(input.headers) });
      },
    });
  }

  async signalWithStart(input: WorkflowSignalWithStartInput, next: (input: WorkflowSignalWithStartInput) => Promise<string>): Promise<string> {
    return instrument({
      tracer: this.tracer,
      spanName: `${SpanName.WORKFLOW_SIGNAL_WITH_START}${SPAN_DELIMITER}${input.workflowType}`,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.options.workflowId);
        const runId = await next({ ...input, headers: headersWithContext(input.headers) });
        span.setAttribute(RUN_ID_ATTR_KEY, runId);
        return runId;
      },
    });
  }

  async query(input: WorkflowQueryInput, next: (input: WorkflowQueryInput) => Promise<unknown>): Promise<unknown> {
    return instrument({
      tracer: this.tracer,
      spanName: `${SpanName.WORKFLOW_QUERY}${SPAN_DELIMITER}${input.queryType}`,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.workflowExecution.workflowId);
        if (input.workflowExecution.runId) span.setAttribute(RUN_ID_ATTR_KEY, input.workflowExecution.runId);
        return next({ ...input, headers: headersWithContext(input.headers) });
      },
    });
  }

  async terminate(input: WorkflowTerminateInput, next: (input: WorkflowTerminateInput) => Promise<void>): Promise<void> {
    return instrument({
      tracer: this.tracer,
      spanName: SpanName.WORKFLOW_TERMINATE,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.workflowExecution.workflowId);
        if (input.workflowExecution.runId) span.setAttribute(RUN_ID_ATTR_KEY, input.workflowExecution.runId);
        if (input.reason) span.setAttribute(TERMINATE_REASON_ATTR_KEY, input.reason);
        return next(input);
      },
    });
  }

  async cancel(input: WorkflowCancelInput, next: (input: WorkflowCancelInput) => Promise<void>): Promise<void> {
    return instrument({
      tracer: this.tracer,
      spanName: SpanName.WORKFLOW_CANCEL,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.workflowExecution.workflowId);
        if (input.workflowExecution.runId) span.setAttribute(RUN_ID_ATTR_KEY, input.workflowExecution.runId);
        return next(input);
      },
    });
  }

  async describe(input: WorkflowDescribeInput, next: (input: WorkflowDescribeInput) => Promise<unknown>): Promise<unknown> {
    return instrument({
      tracer: this.tracer,
      spanName: SpanName.WORKFLOW_DESCRIBE,
      fn: async (span) => {
        span.setAttribute(WORKFLOW_ID_ATTR_KEY, input.workflowExecution.workflowId);
        if (input.workflowExecution.runId) span.setAttribute(RUN_ID_ATTR_KEY, input.workflowExecution.runId);
        return next(input);
      },
    });
  }
}
