/** The gRPC headers sent with every call. */
import { Metadata } from '@grpc/grpc-js';
import { invalidOption } from '../common/errors';
import { CLIENT_NAME, CLIENT_VERSION } from './client-identity';
import { isHeaderValue, type CompiledConnectionOptions } from './connection-options';

/** Resolves `apiKey` for one call; a function form is called every time. */
async function resolveApiKey(apiKey: CompiledConnectionOptions['apiKey']): Promise<string | undefined> {
  if (typeof apiKey !== 'function') return apiKey;
  const value = await apiKey();
  if (typeof value !== 'string' || value === '' || !isHeaderValue(value)) {
    // Describe the value, never print it: it is meant to be a secret.
    throw invalidOption(
      'apiKey',
      `function must return a non-empty string of printable ASCII characters; it returned ${typeof value === 'string' ? 'a string that is empty or not printable ASCII' : typeof value}.`,
    );
  }
  return value;
}

/**
 * Headers for one call: user `metadata`, `client-name`, `client-version`,
 * `temporal-namespace` (when the request has a namespace) and `authorization` (when
 * `apiKey` is set), then `extra` (the call's own headers, from `withMetadata` or `CallOptions.metadata`) over all of them.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION` when an `apiKey` function returns something other than a header-safe string
 */
export async function callHeaders(options: CompiledConnectionOptions, request: unknown, extra?: Record<string, string | Buffer>): Promise<Metadata> {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(options.metadata)) metadata.set(name, value);
  metadata.set('client-name', CLIENT_NAME);
  metadata.set('client-version', CLIENT_VERSION);
  const namespace = (request as { namespace?: unknown } | null)?.namespace;
  if (typeof namespace === 'string' && namespace !== '' && isHeaderValue(namespace)) metadata.set('temporal-namespace', namespace);
  const apiKey = await resolveApiKey(options.apiKey);
  if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`);
  for (const [name, value] of Object.entries(extra ?? {})) metadata.set(name, value);
  return metadata;
}
