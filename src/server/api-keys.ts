/**
 * API keys on the dev server, as Temporal Cloud checks them: every WorkflowService call
 * carries `authorization: Bearer <key>`; an unknown key is UNAUTHENTICATED, a known key
 * used on a namespace it is not granted is PERMISSION_DENIED. Keys are compared in
 * constant time and never appear in a message or a log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { invalidOption } from '../common/errors';
import { echo } from './service-error';

/** One accepted key: for every namespace, or only for the ones listed. */
export type DevServerApiKey = string | { key: string; namespaces?: string[] };

interface Grant {
  digest: Buffer;
  namespaces: ReadonlySet<string> | undefined;
}

/** The outcome of checking one call: `undefined` when it may proceed. */
export type ApiKeyVerdict = { code: grpc.status; details: string } | undefined;

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Checks the `apiKeys` option and returns the checker, or `undefined` when keys are not required. */
export function compileApiKeys(value: unknown): ((metadata: grpc.Metadata, namespace: unknown) => ApiKeyVerdict) | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw invalidOption('apiKeys', 'must be a non-empty array of keys (strings, or `{ key, namespaces }`).');
  const grants: Grant[] = value.map((entry: unknown, i) => {
    const key = typeof entry === 'string' ? entry : (entry as { key?: unknown } | null)?.key;
    if (typeof key !== 'string' || !/^[\x21-\x7e]{8,}$/.test(key))
      throw invalidOption(`apiKeys[${i}]`, 'must be a key of at least 8 printable ASCII characters without spaces (the key itself is not shown).');
    const namespaces = typeof entry === 'string' ? undefined : (entry as { namespaces?: unknown }).namespaces;
    if (namespaces !== undefined && (!Array.isArray(namespaces) || namespaces.some((n) => typeof n !== 'string' || n === ''))) {
      throw invalidOption(`apiKeys[${i}].namespaces`, 'must be an array of namespace names.');
    }
    return { digest: digest(key), namespaces: namespaces ? new Set(namespaces as string[]) : undefined };
  });
  return (metadata, namespace) => {
    const header = metadata.get('authorization')[0];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!match)
      return {
        code: grpc.status.UNAUTHENTICATED,
        details: 'the Bastion dev server requires an API key: send "authorization: Bearer <key>" (Connection option `apiKey`, TEMPORAL_API_KEY)',
      };
    const d = digest(match[1]!);
    const grant = grants.find((g) => timingSafeEqual(g.digest, d));
    if (!grant) return { code: grpc.status.UNAUTHENTICATED, details: 'the API key is not one the Bastion dev server accepts' };
    if (grant.namespaces && typeof namespace === 'string' && namespace !== '' && !grant.namespaces.has(namespace)) {
      return { code: grpc.status.PERMISSION_DENIED, details: `the API key is not granted namespace "${echo(namespace)}"` };
    }
    return undefined;
  };
}
