/**
 * Which string fields of a request have a length limit, and what it is: ids and names at
 * most 1,000 characters (Temporal Server's `limit.maxIDLength`), namespaces at most 255
 * (the dev server's registration limit, so no longer name can exist), opaque tokens at
 * most 8 KiB of base64 (the dev server's own tokens stay far below). The limits are
 * applied, wherever in a request such a field appears, by the schema walk of
 * request-limits.ts, before any lookup: an oversized value is refused at once with
 * INVALID_ARGUMENT naming the field and the limit, and never travels into a lookup, a log,
 * or an error message.
 */

/** Temporal's `limit.maxIDLength`. @default 1000 */
export const MAX_ID_LENGTH = 1000;
/** Longest namespace name. @default 255 */
export const MAX_NAMESPACE_LENGTH = 255;
/** Longest task or page token, in base64 characters. @default 8192 */
export const MAX_TOKEN_LENGTH = 8192;

/** The kind of length limit a field has. */
export type LengthLimit = 'id' | 'namespace' | 'token';

/** String fields that hold ids or names, wherever they appear. */
const ID_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'workflowId',
  'runId',
  'firstExecutionRunId',
  'requestId',
  'identity',
  'activityId',
  'timerId',
  'signalName',
  'markerName',
  'queryType',
  'workflowNamespace',
  'parentWorkflowNamespace',
  'binaryChecksum',
  'buildId',
  'stickyTaskQueue',
]);
/** Bytes fields that hold the server's opaque tokens. */
const TOKEN_FIELDS: ReadonlySet<string> = new Set(['taskToken', 'nextPageToken']);
/** Message types whose `name` is an id (a type or a task queue name). */
const NAMED_TYPES: ReadonlySet<string> = new Set([
  'temporal.api.common.v1.WorkflowType',
  'temporal.api.common.v1.ActivityType',
  'temporal.api.taskqueue.v1.TaskQueue',
]);

/**
 * The length limit of field `name` (of proto type `kind`) in a message of type `typeName`
 * (full name, no leading dot), or undefined when it has none.
 */
export function lengthLimitOf(typeName: string, name: string, kind: 'string' | 'bytes'): LengthLimit | undefined {
  if (kind === 'bytes') return TOKEN_FIELDS.has(name) ? 'token' : undefined;
  if (name === 'namespace') return 'namespace';
  return ID_FIELDS.has(name) || (name === 'name' && NAMED_TYPES.has(typeName)) ? 'id' : undefined;
}
