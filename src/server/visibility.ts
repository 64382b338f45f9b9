/**
 * ListWorkflowExecutions and CountWorkflowExecutions over Temporal's list-filter
 * language: comparisons (`=`, `!=`, `>`, `>=`, `<`, `<=`, `IN (…)`, `STARTS_WITH`)
 * on WorkflowType, WorkflowId, RunId, ExecutionStatus, TaskQueue, StartTime,
 * CloseTime and custom keyword search attributes, joined by AND / OR with parentheses.
 * `ORDER BY` is accepted; results are newest first.
 */
import type { Engine } from './engine';
import { ts } from './common';
import { payloadToValue } from './json-proto';
import { invalidArgument, echo } from './service-error';
import type { ExecutionState } from './state';

type Value = string | number | boolean | null;
type Expr = { op: 'and' | 'or'; left: Expr; right: Expr } | { op: 'cmp'; field: string; cmp: string; value: Value | Value[] };

const STATUS_NAMES: Record<string, number> = {
  Running: 1,
  Completed: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  ContinuedAsNew: 6,
  TimedOut: 7,
};

function tokenize(q: string): string[] {
  const re = /\s*(?:(\(|\)|,)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(>=|<=|!=|=|>|<)|([A-Za-z_][\w.]*|-?\d+(?:\.\d+)?))/y;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < q.length) {
    if (/^\s*$/.test(q.slice(re.lastIndex))) break;
    const at = re.lastIndex;
    m = re.exec(q);
    if (!m) throw invalidArgument(`\`query\` could not be parsed near "${echo(q.slice(at, at + 20))}".`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
  }
  return out;
}

/** Longest list query accepted, in bytes (UTF-8). */
export const MAX_QUERY_BYTES = 8192;
/** Deepest nesting of parentheses accepted in a list query. */
export const MAX_QUERY_DEPTH = 32;

function parse(q: string): Expr | undefined {
  const bytes = Buffer.byteLength(q);
  if (bytes > MAX_QUERY_BYTES) {
    throw invalidArgument(`\`query\` is ${bytes} bytes long; the limit is ${MAX_QUERY_BYTES} bytes. Shorten the filter (e.g. use IN (…) instead of many ORs).`);
  }
  let depth = 0;
  const orderBy = q.search(/\border\s+by\b/i);
  const text = orderBy >= 0 ? q.slice(0, orderBy) : q;
  const toks = tokenize(text);
  if (toks.length === 0) return undefined;
  let i = 0;
  const peek = () => toks[i];
  const take = () => toks[i++];
  const literal = (t: string | undefined): Value => {
    if (t === undefined) throw invalidArgument('`query` ends where a value was expected.');
    if (/^['"]/.test(t)) return t.slice(1, -1).replace(/\\(.)/g, '$1');
    if (/^-?\d/.test(t)) return Number(t);
    if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
    throw invalidArgument(`\`query\`: expected a value, found "${echo(t)}".`);
  };
  const primary = (): Expr => {
    if (peek() === '(') {
      take();
      if (++depth > MAX_QUERY_DEPTH)
        throw invalidArgument(`\`query\` nests parentheses more than ${MAX_QUERY_DEPTH} deep; the limit is ${MAX_QUERY_DEPTH}. Flatten the filter.`);
      const e = or();
      if (take() !== ')') throw invalidArgument('`query`: missing ")".');
      depth--;
      return e;
    }
    const field = take();
    if (!field || !/^[A-Za-z_]/.test(field)) throw invalidArgument(`\`query\`: expected a field name, found "${echo(field ?? 'end of query')}".`);
    let cmp = take();
    if (!cmp) throw invalidArgument(`\`query\`: expected an operator after ${echo(field)}.`);
    if (/^not$/i.test(cmp) && /^in$/i.test(peek() ?? '')) {
      take();
      cmp = 'not in';
    }
    if (/^(in|not in)$/i.test(cmp)) {
      if (take() !== '(') throw invalidArgument('`query`: IN needs a parenthesised list.');
      const values: Value[] = [];
      while (peek() !== ')') {
        values.push(literal(take()));
        if (peek() === ',') take();
        else if (peek() !== ')') throw invalidArgument('`query`: expected "," or ")" in IN list.');
      }
      take();
      return { op: 'cmp', field, cmp: cmp.toLowerCase(), value: values };
    }
    if (/^starts_with$/i.test(cmp)) return { op: 'cmp', field, cmp: 'starts_with', value: literal(take()) };
    if (/^is$/i.test(cmp)) {
      const n = take();
      if (/^not$/i.test(n ?? '')) {
        take();
        return { op: 'cmp', field, cmp: '!=', value: null };
      }
      return { op: 'cmp', field, cmp: '=', value: null };
    }
    if (!['=', '!=', '>', '>=', '<', '<='].includes(cmp)) throw invalidArgument(`\`query\`: unknown operator "${echo(cmp)}".`);
    return { op: 'cmp', field, cmp, value: literal(take()) };
  };
  const and = (): Expr => {
    let left = primary();
    while (/^and$/i.test(peek() ?? '')) {
      take();
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): Expr => {
    let left = and();
    while (/^or$/i.test(peek() ?? '')) {
      take();
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  const e = or();
  if (i < toks.length) throw invalidArgument(`\`query\`: unexpected "${echo(toks[i])}".`);
  return e;
}

function fieldValue(exec: ExecutionState, field: string): Value | Value[] {
  switch (field) {
    case 'WorkflowType':
      return exec.workflowType;
    case 'WorkflowId':
      return exec.workflowId;
    case 'RunId':
      return exec.runId;
    case 'TaskQueue':
      return exec.taskQueue;
    case 'ExecutionStatus':
      return exec.status;
    case 'StartTime':
      return exec.startTimeMs;
    case 'ExecutionTime':
      return exec.executionTimeMs;
    case 'CloseTime':
      return exec.closeTimeMs ?? null;
    default: {
      const p = exec.searchAttributes?.indexedFields?.[field];
      return (payloadToValue(p) as Value | Value[] | undefined) ?? null;
    }
  }
}

function normalize(field: string, v: Value): Value {
  if (field === 'ExecutionStatus' && typeof v === 'string') {
    const n = STATUS_NAMES[v];
    if (n === undefined) throw invalidArgument(`\`query\`: unknown ExecutionStatus "${echo(v)}"; use one of ${Object.keys(STATUS_NAMES).join(', ')}.`);
    return n;
  }
  if (/Time$/.test(field) && typeof v === 'string') {
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw invalidArgument(`\`query\`: ${echo(field)} needs an RFC 3339 time, got "${echo(v)}".`);
    return t;
  }
  return v;
}

function matches(exec: ExecutionState, e: Expr): boolean {
  if (e.op === 'and') return matches(exec, e.left) && matches(exec, e.right);
  if (e.op === 'or') return matches(exec, e.left) || matches(exec, e.right);
  return compare(exec, e as Extract<Expr, { op: 'cmp' }>);
}

function compare(exec: ExecutionState, e: Extract<Expr, { op: 'cmp' }>): boolean {
  const value = fieldValue(exec, e.field);
  if (Array.isArray(value)) {
    // A list attribute (KeywordList) matches when any element does.
    if (e.cmp === '!=' || e.cmp === 'not in') return value.every((v) => compareOne(v, e));
    return value.some((v) => compareOne(v, e));
  }
  return compareOne(value, e);
}

function compareOne(actual: Value, e: Extract<Expr, { op: 'cmp' }>): boolean {
  if (Array.isArray(e.value)) {
    const set = e.value.map((v) => normalize(e.field, v));
    const inSet = set.includes(actual);
    return e.cmp === 'in' ? inSet : !inSet;
  }
  const v = normalize(e.field, e.value);
  switch (e.cmp) {
    case '=':
      return actual === v;
    case '!=':
      return actual !== v;
    case 'starts_with':
      return typeof actual === 'string' && typeof v === 'string' && actual.startsWith(v);
    default: {
      if (actual === null || v === null) return false;
      if (e.cmp === '>') return actual > v;
      if (e.cmp === '>=') return actual >= v;
      if (e.cmp === '<') return actual < v;
      return actual <= v;
    }
  }
}

function select(engine: Engine, namespace: string, query: string | undefined): ExecutionState[] {
  const expr = parse(query ?? '');
  const out: ExecutionState[] = [];
  for (const exec of engine.executions.values()) {
    if (exec.namespace !== namespace) continue;
    if (!expr || matches(exec, expr)) out.push(exec);
  }
  return out.sort((a, b) => b.startTimeMs - a.startTimeMs || (a.runId < b.runId ? -1 : 1));
}

/** The WorkflowExecutionInfo of a run, as List and Describe return it. */
export function executionInfo(engine: Engine, exec: ExecutionState): object {
  return {
    execution: { workflowId: exec.workflowId, runId: exec.runId },
    type: { name: exec.workflowType },
    startTime: ts(exec.startTimeMs),
    closeTime: exec.closeTimeMs ? ts(exec.closeTimeMs) : undefined,
    status: exec.status,
    historyLength: exec.nextEventId - 1,
    parentNamespaceId: exec.parent ? engine.namespaces.get(exec.parent.namespace)?.id : undefined,
    parentExecution: exec.parent ? { workflowId: exec.parent.workflowId, runId: exec.parent.runId } : undefined,
    executionTime: ts(exec.executionTimeMs),
    memo: exec.memo,
    searchAttributes: exec.searchAttributes,
    taskQueue: exec.taskQueue,
    stateTransitionCount: exec.nextEventId - 1,
    historySizeBytes: exec.historySizeBytes,
    firstRunId: exec.firstRunId,
    executionDuration: exec.closeTimeMs ? { seconds: Math.floor((exec.closeTimeMs - exec.executionTimeMs) / 1000), nanos: 0 } : undefined,
  };
}

export function listWorkflowExecutions(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  const all = select(engine, req.namespace, req.query);
  const pageSize = req.pageSize > 0 ? req.pageSize : 1000;
  let offset = 0;
  if (req.nextPageToken) {
    offset = Number(Buffer.from(req.nextPageToken, 'base64').toString());
    if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('`nextPageToken` is not a page token issued by this server.');
  }
  const page = all.slice(offset, offset + pageSize);
  const more = offset + pageSize < all.length;
  return {
    executions: page.map((e) => executionInfo(engine, e)),
    nextPageToken: more ? Buffer.from(String(offset + pageSize)).toString('base64') : undefined,
  };
}

export function countWorkflowExecutions(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  return { count: select(engine, req.namespace, req.query).length };
}
