/** Runs a function inside a span that ends when it settles, with the official package's status rules. */
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { ApplicationFailure } from '../../converter';
import { otelApi } from './otel-api';

export interface InstrumentOptions<T> {
  tracer: Tracer;
  spanName: string;
  fn: (span: Span) => Promise<T>;
  /** The parent context (from headers); the active one when absent. */
  context?: Context;
  /** Errors that end the span with status OK (continue-as-new). */
  acceptableErrors?: (err: unknown) => boolean;
}

/** A benign application failure leaves the status unset, as in the official package. */
function isBenign(err: unknown): boolean {
  return err instanceof ApplicationFailure && (err as { category?: unknown }).category === 'BENIGN';
}

function recordError(span: Span, err: unknown, acceptable?: (err: unknown) => boolean): void {
  const api = otelApi();
  if (acceptable?.(err)) {
    span.setStatus({ code: api.SpanStatusCode.OK });
    return;
  }
  const message = err !== null && typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
  span.setStatus({ code: isBenign(err) ? api.SpanStatusCode.UNSET : api.SpanStatusCode.ERROR, message });
  span.recordException(err as Error);
}

/** Runs `fn` in a new active span named `spanName`, child of `context` (or of the active span). */
export async function instrument<T>({ tracer, spanName, fn, context, acceptableErrors }: InstrumentOptions<T>): Promise<T> {
  const api = otelApi();
  const run = () =>
    tracer.startActiveSpan(spanName, async (span) => {
      try {
        const value = await fn(span);
        span.setStatus({ code: api.SpanStatusCode.OK });
        return value;
      } catch (err) {
        recordError(span, err, acceptableErrors);
        throw err;
      } finally {
        span.end();
      }
    });
  return context ? api.context.with(context, run) : run();
}
