/**
 * Activity-side tracing: each attempt runs in a `RunActivity:<type>` span, child of the
 * span whose context the scheduling workflow put in the `_tracer-data` header.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Context as ActivityContext } from '../../activity/context';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '../../worker/worker-options';
import { ACTIVITY_ID_ATTR_KEY, RUN_ID_ATTR_KEY, SPAN_DELIMITER, SpanName, WORKFLOW_ID_ATTR_KEY } from './definitions';
import { instrument } from './instrument';
import { otelApi } from './otel-api';
import { extractContextFromHeaders } from './propagation';
import type { InterceptorOptions } from './client-interceptor';

/**
 * Traces activity attempts: `interceptors: { activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })] }`.
 * @throws {ConfigError} `ERR_TRACING_OTEL_MISSING` when `@opentelemetry/api` is not installed
 */
export class OpenTelemetryActivityInboundInterceptor implements ActivityInboundCallsInterceptor {
  protected readonly tracer: Tracer;

  constructor(
    protected readonly ctx: ActivityContext,
    options?: InterceptorOptions,
  ) {
    this.tracer = options?.tracer ?? otelApi().trace.getTracer('@temporalio/interceptor-activity');
  }

  async execute(input: ActivityExecuteInput, next: (input: ActivityExecuteInput) => Promise<unknown>): Promise<unknown> {
    const info = this.ctx.info;
    return instrument({
      tracer: this.tracer,
      spanName: `${SpanName.ACTIVITY_EXECUTE}${SPAN_DELIMITER}${info.activityType}`,
      context: extractContextFromHeaders(input.headers),
      fn: async (span) => {
        span.setAttribute(ACTIVITY_ID_ATTR_KEY, info.activityId);
        if (info.workflowExecution.workflowId) {
          span.setAttribute(WORKFLOW_ID_ATTR_KEY, info.workflowExecution.workflowId);
          span.setAttribute(RUN_ID_ATTR_KEY, info.workflowExecution.runId);
        }
        return next(input);
      },
    });
  }
}

/** The activity interceptor factory for `interceptors.activity`: `activity: [openTelemetryActivityInterceptors()]`. */
export function openTelemetryActivityInterceptors(options?: InterceptorOptions): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, options) });
}
