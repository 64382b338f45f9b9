/**
 * Length limits on the names and ids of a request, checked before any lookup, so an
 * oversized value is refused at once with INVALID_ARGUMENT naming the field and the limit
 * (and never travels into a lookup, a log, or an error message).
 *
 * Limits follow Temporal Server's defaults: ids and names at most 1,000 characters
 * (`limit.maxIDLength`); namespaces at most 255 (the dev server's registration limit, so
 * no longer name can exist); opaque tokens at most 8 KiB of base64 (the dev server's own
 * tokens stay far below).
 */
import { invalidArgument } from './service-error';

/** Temporal's `limit.maxIDLength`. @default 1000 */
export const MAX_ID_LENGTH = 1000;
/** Longest namespace name. @default 255 */
export const MAX_NAMESPACE_LENGTH = 255;
/** Longest task or page token, in base64 characters. @default 8192 */
export const MAX_TOKEN_LENGTH = 8192;

/** Field paths (as in the JSON form of requests) and their limits. */
export const INPUT_LIMITS: ReadonlyArray<readonly [path: string, limit: number]> = [
  ['namespace', MAX_NAMESPACE_LENGTH],
  ['id', MAX_ID_LENGTH],
  ['workflowId', MAX_ID_LENGTH],
  ['runId', MAX_ID_LENGTH],
  ['firstExecutionRunId', MAX_ID_LENGTH],
  ['activityId', MAX_ID_LENGTH],
  ['requestId', MAX_ID_LENGTH],
  ['identity', MAX_ID_LENGTH],
  ['signalName', MAX_ID_LENGTH],
  ['binaryChecksum', MAX_ID_LENGTH],
  ['stickyTaskQueue', MAX_ID_LENGTH],
  ['workflowType.name', MAX_ID_LENGTH],
  ['activityType.name', MAX_ID_LENGTH],
  ['taskQueue.name', MAX_ID_LENGTH],
  ['execution.workflowId', MAX_ID_LENGTH],
  ['execution.runId', MAX_ID_LENGTH],
  ['workflowExecution.workflowId', MAX_ID_LENGTH],
  ['workflowExecution.runId', MAX_ID_LENGTH],
  ['query.queryType', MAX_ID_LENGTH],
  ['stickyAttributes.workerTaskQueue.name', MAX_ID_LENGTH],
  ['workerVersionCapabilities.buildId', MAX_ID_LENGTH],
  ['taskToken', MAX_TOKEN_LENGTH],
  ['nextPageToken', MAX_TOKEN_LENGTH],
];

function at(req: Record<string, unknown>, path: string): unknown {
  let v: unknown = req;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * Refuses a request whose names, ids or tokens are over their limits.
 * @throws ServiceError INVALID_ARGUMENT naming the field, its length and the limit
 */
export function checkInputLimits(req: Record<string, unknown>): void {
  for (const [path, limit] of INPUT_LIMITS) {
    const v = at(req, path);
    if (typeof v === 'string' && v.length > limit) {
      throw invalidArgument(`\`${path}\` is ${v.length} characters long; the limit is ${limit}. Use a shorter value.`);
    }
  }
}
