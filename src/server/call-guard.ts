/**
 * What every WorkflowService call passes before its handler runs, in this order:
 * 1. request limits (request-limits.ts: names, ids and tokens not over their lengths,
 *    nesting, blob sizes), checked by the service before any lookup;
 * 2. authentication: the API key, when the server requires keys (UNAUTHENTICATED);
 * 3. the namespace the call acts on: the request's `namespace`, or for a task-token call
 *    the namespace sealed inside the token (a forged token or one from another namespace
 *    is INVALID_ARGUMENT; an empty request namespace takes the token's, as Temporal
 *    Server does), or for DescribeNamespace by `id` the namespace with that id;
 * 4. authorisation: the key must be granted that namespace (PERMISSION_DENIED).
 */
import type * as grpc from '@grpc/grpc-js';
import type { ApiKeyVerdict } from './api-keys';
import type { Engine } from './engine';
import { openTaskToken, TASK_TOKEN_METHODS } from './task-token';

export type ApiKeyCheck = (metadata: grpc.Metadata, namespace: unknown) => ApiKeyVerdict;

/** On a request whose key is limited to some namespaces: which namespaces it may see (ListNamespaces). */
export const NAMESPACE_FILTER = Symbol('namespace-filter');

/**
 * The namespace a call acts on, for authorisation. A task-token call gets the token's
 * namespace written into `req.namespace` when the request left it empty.
 * @throws ServiceError INVALID_ARGUMENT for a missing, forged or foreign token
 */
export function callNamespace(engine: Engine, method: string, req: Record<string, any>): unknown {
  const kind = TASK_TOKEN_METHODS[method];
  if (kind) {
    const token = openTaskToken(engine.tokens, req.taskToken, kind, req.namespace);
    if (!req.namespace) req.namespace = token.n;
    return token.n;
  }
  if (method === 'DescribeNamespace' && !req.namespace && typeof req.id === 'string' && req.id) {
    for (const ns of engine.namespaces.values()) if (ns.id === req.id) return ns.name;
  }
  return req.namespace;
}

/**
 * Runs checks 2 to 4 above; `undefined` when the call may proceed, else the status to answer.
 * @throws ServiceError from the task token (the caller maps it to a status)
 */
export function guardCall(engine: Engine, method: string, req: Record<string, any>, metadata: grpc.Metadata, checkApiKey?: ApiKeyCheck): ApiKeyVerdict {
  if (!checkApiKey) {
    callNamespace(engine, method, req);
    return undefined;
  }
  const unauthenticated = checkApiKey(metadata, undefined);
  if (unauthenticated) return unauthenticated;
  req[NAMESPACE_FILTER as never] = (name: string) => checkApiKey(metadata, name) === undefined;
  return checkApiKey(metadata, callNamespace(engine, method, req));
}
