/**
 * Structure-aware inputs for the WorkflowService: requests built from the protobufjs
 * reflection of `@temporalio/proto` (every field of the request type, recursively), with
 * the ids that matter drawn from pools of real values (so cases collide on workflow ids,
 * reuse request ids and present real task tokens), then mutated: huge strings, deep
 * nesting, negative and boundary numbers, wrong enum values, mangled tokens, and
 * wire-level damage (a field re-sent with the wrong wire type, truncation, flipped bytes).
 */
import type { Field, Type, Enum, MapField } from 'protobufjs';
import { EDGE_NUMBERS, type Prng } from './prng';

/** Real values seen during the run, reused so cases hit existing state. */
export interface Pools {
  workflowIds: string[];
  runIds: string[];
  taskQueues: string[];
  requestIds: string[];
  /** base64 task tokens from poll responses. */
  taskTokens: string[];
  pageTokens: string[];
}

export function newPools(): Pools {
  return {
    workflowIds: ['fuzz-wf-1', 'fuzz-wf-2', 'fuzz-wf-3'],
    runIds: [],
    taskQueues: ['fuzz-q-1', 'fuzz-q-2'],
    requestIds: ['fuzz-req-1'],
    taskTokens: [],
    pageTokens: [],
  };
}

/** Adds a value to a pool, keeping the pool small. */
export function remember(pool: string[], value: unknown, max = 64): void {
  if (typeof value !== 'string' || value === '' || value.length > 4096 || pool.includes(value)) return;
  pool.push(value);
  if (pool.length > max) pool.splice(0, pool.length - max);
}

/** What a generated request did, for the failure summary. */
export interface GenNotes {
  mutations: string[];
}

const INT64_EDGES = ['9223372036854775807', '-9223372036854775808', '-1', '0', '18446744073709551615', '4294967296'];
const FLOAT_EDGES = [NaN, Infinity, -Infinity, -0, 1e308, -1e-308, 0.5];

function hugeString(rng: Prng): string {
  const unit = rng.string(rng.range(1, 8));
  return unit.repeat(Math.ceil(rng.pick([5_000, 70_000, 300_000, 1_100_000]) / unit.length));
}

/** A string for a field, chosen by its name: ids from the pools, the rest random. */
function stringFor(field: Field, parent: Type, rng: Prng, pools: Pools, notes: GenNotes): string {
  if (rng.chance(0.004)) {
    notes.mutations.push(`huge ${parent.name}.${field.name}`);
    return hugeString(rng);
  }
  const name = field.name;
  const usual = rng.chance(0.85);
  if (usual) {
    if (name === 'namespace') return rng.chance(0.95) ? 'default' : rng.pick(['nope', '', 'DEFAULT']);
    if (name === 'workflowId') return rng.pick(pools.workflowIds);
    if (name === 'runId' || name === 'firstExecutionRunId') return pools.runIds.length && rng.chance(0.8) ? rng.pick(pools.runIds) : '';
    if (name === 'requestId') return rng.chance(0.5) ? rng.pick(pools.requestIds) : `fuzz-req-${rng.next()}`;
    if (name === 'name' && /TaskQueue$/.test(parent.name)) return rng.pick(pools.taskQueues);
    if (name === 'name' && /WorkflowType|ActivityType/.test(parent.name)) return rng.pick(['greet', 'fuzzType', 'x']);
    if (name === 'activityId') return rng.pick(['1', '2', 'act']);
    if (name === 'query')
      return rng.pick([
        '',
        'WorkflowType = "greet"',
        `WorkflowId = '${rng.pick(pools.workflowIds)}'`,
        'ExecutionStatus="Running" AND WorkflowType="x"',
        'ORDER BY StartTime DESC',
        'WorkflowId in (',
        rng.string(rng.length(60)),
      ]);
    if (name === 'identity') return `fuzz@${rng.int(4)}`;
  }
  return rng.string(rng.length(200));
}

function bytesFor(field: Field, rng: Prng, pools: Pools, notes: GenNotes): Buffer | string {
  if (field.name === 'taskToken' && pools.taskTokens.length && rng.chance(0.85)) {
    const real = rng.pick(pools.taskTokens);
    if (rng.chance(0.6)) return real;
    notes.mutations.push('mangled taskToken');
    return mangleJsonToken(real, rng);
  }
  if (field.name === 'nextPageToken' && pools.pageTokens.length && rng.chance(0.7)) {
    notes.mutations.push('mangled nextPageToken');
    return mangleJsonToken(rng.pick(pools.pageTokens), rng);
  }
  if (rng.chance(0.01)) {
    notes.mutations.push(`huge bytes ${field.name}`);
    return Buffer.alloc(rng.pick([70_000, 1_100_000]), rng.int(256));
  }
  return rng.bytes(rng.length(64));
}

/** A JSON token (base64 of an object) with one field given a wrong value. */
export function mangleJsonToken(b64: string, rng: Prng): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(Buffer.from(b64, 'base64').toString());
  } catch {
    return b64;
  }
  if (typeof obj !== 'object' || obj === null) return b64;
  const keys = Object.keys(obj);
  const key = rng.chance(0.9) && keys.length ? rng.pick(keys) : rng.string(2);
  obj[key] = wrongJsonValue(rng);
  return Buffer.from(JSON.stringify(obj)).toString('base64');
}

/** A JSON value of a random kind: the wrong type for whatever the field expects. */
export function wrongJsonValue(rng: Prng): unknown {
  switch (rng.int(9)) {
    case 0:
      return null;
    case 1:
      return rng.pick(EDGE_NUMBERS);
    case 2:
      return -rng.range(1, 1000);
    case 3:
      return rng.string(rng.length(40));
    case 4:
      return rng.chance(0.5);
    case 5:
      return [];
    case 6:
      return { [rng.string(3)]: rng.int(10) };
    case 7:
      return 'x'.repeat(rng.pick([1000, 70_000]));
    default:
      return 1.5;
  }
}

function enumFor(e: Enum, rng: Prng, notes: GenNotes): number {
  const values = Object.values(e.values);
  if (rng.chance(0.9)) return rng.pick(values);
  const v = rng.pick([-1, 999, 2 ** 31 - 1, -(2 ** 31)]);
  notes.mutations.push(`enum ${e.name}=${v}`);
  return v;
}

function scalarFor(field: Field, parent: Type, rng: Prng, pools: Pools, notes: GenNotes): unknown {
  switch (field.type) {
    case 'string':
      return stringFor(field, parent, rng, pools, notes);
    case 'bytes':
      return bytesFor(field, rng, pools, notes);
    case 'bool':
      return rng.chance(0.5);
    case 'double':
    case 'float':
      return rng.chance(0.3) ? rng.pick(FLOAT_EDGES) : rng.int(1000) / 7;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return rng.chance(0.4) ? rng.pick(INT64_EDGES) : rng.chance(0.5) ? rng.pick(EDGE_NUMBERS) : rng.int(100);
    default: // 32-bit integers
      return rng.chance(0.4) ? rng.pick(EDGE_NUMBERS) : rng.int(100);
  }
}

function resolved(field: Field): Type | Enum | null {
  field.resolve();
  return field.resolvedType as Type | Enum | null;
}

const isType = (t: unknown): t is Type => !!t && Array.isArray((t as Type).fieldsArray);

/** `commandType` of a Command from its attributes field name, e.g. scheduleActivityTaskCommandAttributes. */
function commandTypeFor(attrField: string, e: Enum): number | undefined {
  const stem = attrField
    .replace(/CommandAttributes$/, '')
    .replace(/[A-Z]/g, (c) => `_${c}`)
    .toUpperCase();
  return e.values[`COMMAND_TYPE_${stem}`];
}

/** A Failure-like chain `depth` levels deep through a self-referencing field (`cause`). */
function deepChain(type: Type, field: Field, depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { message: 'leaf' };
  for (let i = 0; i < depth; i++) node = { message: `level ${i}`, [field.name]: node };
  void type;
  return node;
}

/** A random message of `type`: each field present with a probability that falls with depth. */
export function messageFor(type: Type, rng: Prng, pools: Pools, notes: GenNotes, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const presence = depth === 0 ? 0.7 : depth < 3 ? 0.35 : depth < 6 ? 0.12 : 0;
  for (const field of type.fieldsArray) {
    const key = [
      'namespace',
      'workflowId',
      'taskQueue',
      'taskToken',
      'workflowExecution',
      'execution',
      'workflowType',
      'name',
      'commands',
      'requestId',
    ].includes(field.name);
    if (!rng.chance(key && depth < 4 ? 0.9 : presence)) continue;
    const r = resolved(field);
    if (isType(r) && r === type && rng.chance(0.15)) {
      const depthN = rng.pick([50, 500, 3000, 20_000]);
      notes.mutations.push(`deep ${type.name}.${field.name}×${depthN}`);
      out[field.name] = deepChain(type, field, depthN);
      continue;
    }
    if ((field as unknown as MapField).keyType) {
      const map: Record<string, unknown> = {};
      for (let i = rng.length(6); i > 0; i--)
        map[rng.string(rng.length(20))] = isType(r)
          ? messageFor(r, rng, pools, notes, depth + 1)
          : r
            ? enumFor(r, rng, notes)
            : scalarFor(field, type, rng, pools, notes);
      out[field.name] = map;
      continue;
    }
    const one = (): unknown =>
      isType(r) ? messageFor(r, rng, pools, notes, depth + 1) : r ? enumFor(r as Enum, rng, notes) : scalarFor(field, type, rng, pools, notes);
    if (field.repeated) {
      if (rng.chance(0.02)) {
        // Many items: one small item repeated, so the request stays within a few MB.
        const n = rng.pick([1000, 5000]);
        notes.mutations.push(`${n} × ${type.name}.${field.name}`);
        const item = isType(r) ? messageFor(r, rng, pools, notes, Math.max(depth + 1, 6)) : one();
        out[field.name] = new Array(n).fill(item);
      } else {
        out[field.name] = Array.from({ length: rng.length(4) }, one);
      }
    } else {
      out[field.name] = one();
    }
  }
  if (type.name === 'Command' && rng.chance(0.85)) {
    // A command whose type matches its attributes, so the server gets past the first check.
    const attrs = type.fieldsArray.filter((f) => f.name.endsWith('CommandAttributes'));
    const chosen = rng.pick(attrs);
    for (const f of attrs) if (f !== chosen) delete out[f.name];
    const ct = type.fields.commandType!;
    const e = resolved(ct) as Enum;
    out.commandType = commandTypeFor(chosen.name, e) ?? out.commandType;
    out[chosen.name] = messageFor(resolved(chosen) as Type, rng, pools, notes, depth + 1);
  }
  if (type.name === 'Payload' && rng.chance(0.3)) {
    const depthN = rng.pick([10, 1000, 100_000]);
    out.metadata = { encoding: Buffer.from('json/plain') };
    out.data = Buffer.from('['.repeat(depthN) + ']'.repeat(depthN));
    notes.mutations.push(`json/plain payload nested ${depthN}`);
  }
  return out;
}

/** Wire-level damage to an encoded message; names what it did in `notes`. */
export function damageWire(bytes: Buffer, type: Type, rng: Prng, notes: GenNotes): Buffer {
  const fields = type.fieldsArray;
  // Cases 0 and 5 need a field of the type; requests without fields get the others.
  switch (fields.length ? rng.int(7) : rng.pick([1, 2, 3, 4, 6])) {
    case 0: {
      // A known field again with the wrong wire type (wrong type for the field).
      const f = rng.pick(fields);
      const wire = rng.pick([0, 1, 2, 5].filter((w) => w !== expectedWire(f)));
      notes.mutations.push(`wire: ${f.name} as wire type ${wire}`);
      return Buffer.concat([bytes, tag(f.id, wire), payloadForWire(wire, rng)]);
    }
    case 1: {
      const at = rng.int(bytes.length + 1);
      notes.mutations.push(`wire: truncated at ${at}/${bytes.length}`);
      return bytes.subarray(0, at);
    }
    case 2: {
      const copy = Buffer.from(bytes);
      const n = rng.range(1, 4);
      for (let i = 0; i < n && copy.length; i++) copy[rng.int(copy.length)] ^= 1 << rng.int(8);
      notes.mutations.push(`wire: ${n} flipped bits`);
      return copy;
    }
    case 3: {
      const at = rng.int(bytes.length + 1);
      notes.mutations.push(`wire: random bytes inserted at ${at}`);
      return Buffer.concat([bytes.subarray(0, at), rng.bytes(rng.range(1, 32)), bytes.subarray(at)]);
    }
    case 4:
      notes.mutations.push('wire: message sent twice (merge)');
      return Buffer.concat([bytes, bytes]);
    case 5: {
      // A length-delimited field whose length claims far more than is there.
      const f = rng.pick(fields);
      notes.mutations.push(`wire: ${f.name} with an overlong length`);
      return Buffer.concat([bytes, tag(f.id, 2), varint(rng.pick([0x7fffffff, 2 ** 35, 1000]))]);
    }
    default:
      notes.mutations.push('wire: all random bytes');
      return rng.bytes(rng.length(512));
  }
}

function expectedWire(f: Field): number {
  if (f.repeated && !['string', 'bytes'].includes(f.type) && !resolved(f)) return 2;
  if (['double', 'fixed64', 'sfixed64'].includes(f.type)) return 1;
  if (['float', 'fixed32', 'sfixed32'].includes(f.type)) return 5;
  if (['string', 'bytes'].includes(f.type) || isType(resolved(f))) return 2;
  return 0;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

function tag(id: number, wire: number): Buffer {
  return varint(id * 8 + wire);
}

function payloadForWire(wire: number, rng: Prng): Buffer {
  if (wire === 0) return varint(rng.pick([0, 1, 2 ** 31, 2 ** 40]));
  if (wire === 1) return rng.bytes(8);
  if (wire === 5) return rng.bytes(4);
  const body = rng.bytes(rng.length(40));
  return Buffer.concat([varint(body.length), body]);
}
