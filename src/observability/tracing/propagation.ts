/**
 * The trace context in Temporal headers, in the official package's format: the global
 * OpenTelemetry propagator's text map (`{ traceparent, tracestate }` with the W3C
 * propagator) as a `json/plain` payload under `_tracer-data`.
 */
import type { Context } from '@opentelemetry/api';
import { defaultPayloadConverter, type Payload } from '../../converter';
import { TRACE_HEADER } from './definitions';
import { otelApi } from './otel-api';

/** Temporal headers: name → payload. */
export type Headers = Record<string, Payload>;

/** The OpenTelemetry context carried by `headers`, or undefined when they carry none. */
export function extractContextFromHeaders(headers: Headers | undefined): Context | undefined {
  const encoded = headers?.[TRACE_HEADER];
  if (encoded === undefined) return undefined;
  const api = otelApi();
  const carrier = defaultPayloadConverter.fromPayload<Record<string, string>>(encoded);
  return api.propagation.extract(api.context.active(), carrier, api.defaultTextMapGetter);
}

/** `headers` plus the active OpenTelemetry context under `_tracer-data`. */
export function headersWithContext(headers: Headers): Headers {
  const api = otelApi();
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.context.active(), carrier, api.defaultTextMapSetter);
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}
