/**
 * Limits every request is held to at the door, derived from the proto schema so that
 * each request type is covered: how deep messages nest (a Failure's cause chain, for
 * one), how large each payload blob is (inputs, results, details, failures, memo,
 * header, search attributes, marker details) and how long ids, names and tokens are
 * (input-limits.ts says which fields and their limits). A request that
 * passes can be stored, encoded into history events and served back to any SDK:
 * protobufjs and Temporal's Core both refuse messages nested more than 100 deep, and
 * history events, poll responses and worker activations wrap a request's values in up
 * to four more levels, so 64 leaves a wide margin.
 */
import type { Field, Type } from 'protobufjs';
import { lookupType } from '../common/proto';
import { base64Length } from './json-proto';
import { invalidArgument } from './service-error';

/** Deepest message nesting accepted in a request, counted from the request itself. @default 64 */
export const MAX_NESTING_DEPTH = 64;
export { MAX_ID_LENGTH } from './input-limits';
import { MAX_ID_LENGTH, MAX_NAMESPACE_LENGTH, MAX_TOKEN_LENGTH, lengthLimitOf, type LengthLimit } from './input-limits';

export interface RequestLimits {
  blobSizeLimitBytes: number;
  maxNestingDepth: number;
  maxIdLength: number;
  maxNamespaceLength: number;
  maxTokenLength: number;
}

export interface LimitViolation {
  kind: 'depth' | 'blob' | 'id';
  /** Path of the offending field, e.g. `commands[0].recordMarkerCommandAttributes.details`. */
  field: string;
  message: string;
}

/** Message types measured as one blob against the blob size limit (the outermost one counts). */
const BLOB_TYPES = new Set([
  'temporal.api.common.v1.Payloads',
  'temporal.api.common.v1.Payload',
  'temporal.api.common.v1.Memo',
  'temporal.api.common.v1.Header',
  'temporal.api.common.v1.SearchAttributes',
  'temporal.api.failure.v1.Failure',
]);

/** The limit of each kind of length-limited field. */
const LENGTH_LIMITS: Readonly<Record<LengthLimit, 'maxIdLength' | 'maxNamespaceLength' | 'maxTokenLength'>> = {
  id: 'maxIdLength',
  namespace: 'maxNamespaceLength',
  token: 'maxTokenLength',
};

interface FieldInfo {
  name: string;
  kind: 'message' | 'bytes' | 'string' | 'other';
  type?: Type;
  blob: boolean;
  length: LengthLimit | undefined;
  list: boolean;
  map: boolean;
}

const fieldCache = new Map<Type, Map<string, FieldInfo>>();

/** The fields of a message type by name (JSON-form values carry only the fields that are set). */
function fieldsOf(type: Type): Map<string, FieldInfo> {
  let byName = fieldCache.get(type);
  if (byName) return byName;
  const typeName = type.fullName.replace(/^\./, '');
  const infos = type.fieldsArray.map((f: Field): FieldInfo => {
    f.resolve();
    const resolved = f.resolvedType && 'fieldsArray' in f.resolvedType ? (f.resolvedType as Type) : undefined;
    const kind: FieldInfo['kind'] = resolved ? 'message' : f.type === 'bytes' ? 'bytes' : f.type === 'string' ? 'string' : 'other';
    return {
      name: f.name,
      kind,
      type: resolved,
      blob: !!resolved && BLOB_TYPES.has(resolved.fullName.replace(/^\./, '')),
      length: kind === 'string' || kind === 'bytes' ? lengthLimitOf(typeName, f.name, kind) : undefined,
      list: f.repeated,
      map: f.map,
    };
  });
  byName = new Map(infos.map((f) => [f.name, f]));
  fieldCache.set(type, byName);
  return byName;
}

/** `failure.cause.cause.cause.cause` → `failure.cause×4`, so a deep path stays readable. */
export function compactPath(path: string): string {
  const parts = path.split('.');
  const out: string[] = [];
  for (let i = 0; i < parts.length;) {
    let j = i;
    while (j < parts.length && parts[j] === parts[i]) j++;
    out.push(j - i > 2 ? `${parts[i]}×${j - i}` : parts.slice(i, j).join('.'));
    i = j;
  }
  return out.join('.');
}

/** A field path built only when a limit is broken (most requests break none). */
interface PathNode {
  parent: PathNode | undefined;
  /** `.name`, `[3]` or `["key"]`. */
  seg: string;
}

function pathText(node: PathNode | undefined): string {
  const segs: string[] = [];
  for (let n = node; n; n = n.parent) segs.push(n.seg);
  return segs.reverse().join('').replace(/^\./, '');
}

class Walk {
  violation: LimitViolation | undefined;
  constructor(
    private readonly limits: RequestLimits,
    private readonly skip: ReadonlySet<string>,
  ) {}

  /** Walks a message; returns the bytes of its strings and byte fields (its blob size). */
  message(type: Type, value: Record<string, any>, path: PathNode | undefined, depth: number, inBlob: boolean): number {
    if (depth > this.limits.maxNestingDepth) {
      const field = compactPath(pathText(path));
      this.violation = {
        kind: 'depth',
        field,
        message: `\`${field}\` nests messages ${depth} deep; the limit is ${this.limits.maxNestingDepth} (e.g. a failure's cause chain). Shorten the chain.`,
      };
      return 0;
    }
    let size = 0;
    const fields = fieldsOf(type);
    for (const name in value) {
      const f = fields.get(name);
      const v = value[name];
      if (!f || v == null || f.kind === 'other') continue;
      if (depth === 0 && this.skip.has(name)) continue;
      if (f.kind === 'message') {
        const at: PathNode = { parent: path, seg: `.${name}` };
        const blob = inBlob || f.blob;
        let fieldSize = 0;
        if (f.map) {
          for (const key of Object.keys(v)) {
            const item = v[key];
            if (item != null) fieldSize += this.message(f.type!, item, { parent: at, seg: `[${JSON.stringify(key)}]` }, depth + 1, blob);
            if (this.violation) return 0;
          }
        } else if (f.list) {
          for (let i = 0; i < v.length; i++) {
            const item = v[i];
            if (item != null) fieldSize += this.message(f.type!, item, { parent: at, seg: `[${i}]` }, depth + 1, blob);
            if (this.violation) return 0;
          }
        } else {
          fieldSize = this.message(f.type!, v, at, depth + 1, blob);
          if (this.violation) return 0;
        }
        // The outermost blob counts; a map of blobs (marker details) is one blob.
        if (f.blob && !inBlob && fieldSize > this.limits.blobSizeLimitBytes) {
          const field = pathText(at);
          this.violation = {
            kind: 'blob',
            field,
            message: `\`${field}\` is ${fieldSize} bytes; the blob size limit is ${this.limits.blobSizeLimitBytes} bytes. Store large data elsewhere and pass a reference.`,
          };
          return 0;
        }
        size += fieldSize;
      } else if (typeof v === 'string') {
        size += this.scalar(f, v, path);
        if (this.violation) return 0;
      } else {
        for (const s of f.list ? (v as unknown[]) : Object.values(v)) {
          if (typeof s === 'string') size += this.scalar(f, s, path);
          if (this.violation) return 0;
        }
        if (f.map) for (const k of Object.keys(v)) size += k.length;
      }
    }
    return size;
  }

  private scalar(f: FieldInfo, s: string, parent: PathNode | undefined): number {
    // A bytes value is base64 here: a token's limit counts its characters, a blob its bytes.
    const max = f.length === undefined ? Infinity : this.limits[LENGTH_LIMITS[f.length]];
    if (s.length > max) {
      const field = pathText({ parent, seg: `.${f.name}` });
      this.violation = { kind: 'id', field, message: `\`${field}\` is ${s.length} characters long; the limit is ${max}. Use a shorter value.` };
    }
    return f.kind === 'bytes' ? base64Length(s) : s.length;
  }
}

const NO_FIELDS: ReadonlySet<string> = new Set();
const typeCache = new Map<string, Type>();

function typeNamed(fullName: string): Type {
  let t = typeCache.get(fullName);
  if (!t) {
    t = lookupType(fullName);
    typeCache.set(fullName, t);
  }
  return t;
}

/**
 * The first limit `value` (a JSON-form message of type `typeName`) breaks, or undefined.
 * `path` and `depth` place it inside its request; top-level fields in `skip` are left
 * to the handler (which treats them as Temporal does, e.g. an activity result over the
 * limit fails the activity).
 */
export function findLimitViolation(
  typeName: string,
  value: Record<string, any>,
  limits: RequestLimits,
  at: { path?: string; depth?: number; skip?: ReadonlySet<string> } = {},
): LimitViolation | undefined {
  const walk = new Walk(limits, at.skip ?? NO_FIELDS);
  walk.message(typeNamed(typeName), value, at.path ? { parent: undefined, seg: at.path } : undefined, at.depth ?? 0, false);
  return walk.violation;
}

/**
 * Fields of some requests that the handler checks itself, because Temporal answers them
 * with something other than INVALID_ARGUMENT: commands fail the workflow task (or
 * terminate the workflow), oversized activity results and failures fail the activity,
 * an oversized query answer fails the query.
 */
const HANDLED_BY_METHOD: Record<string, ReadonlySet<string>> = {
  RespondWorkflowTaskCompleted: new Set(['commands']),
  RespondWorkflowTaskFailed: new Set(['failure']),
  RespondActivityTaskCompleted: new Set(['result']),
  RespondActivityTaskCompletedById: new Set(['result']),
  RespondActivityTaskFailed: new Set(['failure', 'lastHeartbeatDetails']),
  RespondActivityTaskFailedById: new Set(['failure', 'lastHeartbeatDetails']),
  RespondActivityTaskCanceled: new Set(['details']),
  RespondActivityTaskCanceledById: new Set(['details']),
  RecordActivityTaskHeartbeat: new Set(['details']),
  RecordActivityTaskHeartbeatById: new Set(['details']),
  RespondQueryTaskCompleted: new Set(['queryResult', 'failure']),
};

/** INVALID_ARGUMENT naming the field and the limit when a request breaks one. */
export function checkRequestLimits(method: string, requestTypeName: string, req: Record<string, any>, limits: RequestLimits): void {
  const v = findLimitViolation(requestTypeName, req, limits, { skip: HANDLED_BY_METHOD[method] });
  if (v) throw invalidArgument(`${method}: ${v.message}`);
}

/** The limit a field left to its handler breaks (see HANDLED_BY_METHOD), or undefined. */
export function fieldViolation(typeName: string, value: unknown, field: string, limits: RequestLimits, depth = 1): LimitViolation | undefined {
  if (value == null || typeof value !== 'object') return undefined;
  const walk = new Walk(limits, NO_FIELDS);
  const size = walk.message(typeNamed(typeName), value as Record<string, any>, { parent: undefined, seg: field }, depth, true);
  if (walk.violation) return walk.violation;
  if (BLOB_TYPES.has(typeName) && size > limits.blobSizeLimitBytes) {
    return { kind: 'blob', field, message: `\`${field}\` is ${size} bytes; the blob size limit is ${limits.blobSizeLimitBytes} bytes.` };
  }
  return undefined;
}

/** The limits of a server whose blob size limit is `blobSizeLimitBytes`. */
export function limitsOf(engine: { blobSizeLimitBytes: number }): RequestLimits {
  return {
    blobSizeLimitBytes: engine.blobSizeLimitBytes,
    maxNestingDepth: MAX_NESTING_DEPTH,
    maxIdLength: MAX_ID_LENGTH,
    maxNamespaceLength: MAX_NAMESPACE_LENGTH,
    maxTokenLength: MAX_TOKEN_LENGTH,
  };
}
