/**
 * `@opentelemetry/api` is an optional peer of Bastion: it is loaded the first time tracing
 * is used, never by importing Bastion.
 */
import type * as OtelApi from '@opentelemetry/api';
import { ConfigError } from '../../common/errors';

/** The range of `@opentelemetry/api` Bastion's tracing is written for. */
export const OTEL_API_RANGE = '^1.9.0';

export type OpenTelemetryApi = typeof OtelApi;

let loaded: OpenTelemetryApi | undefined;

/**
 * `@opentelemetry/api`, loaded on first use.
 * @param load how to load it (tests pass a loader that fails). @default require
 * @throws {ConfigError} `ERR_TRACING_OTEL_MISSING` when the package is not installed
 */
export function otelApi(load: (id: string) => unknown = require): OpenTelemetryApi {
  if (loaded && load === require) return loaded;
  let api: OpenTelemetryApi;
  try {
    api = load('@opentelemetry/api') as OpenTelemetryApi;
  } catch (err) {
    if ((err as { code?: string })?.code !== 'MODULE_NOT_FOUND') throw err;
    throw new ConfigError(
      'ERR_TRACING_OTEL_MISSING',
      `Tracing needs the optional peer package \`@opentelemetry/api\` (${OTEL_API_RANGE}), which is not installed. Install it next to Bastion: \`npm install @opentelemetry/api@${OTEL_API_RANGE}\`.`,
      { cause: err },
    );
  }
  if (load === require) loaded = api;
  return api;
}
