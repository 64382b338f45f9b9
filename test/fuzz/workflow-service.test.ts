/**
 * Fuzzes every WorkflowService method the dev server implements with structure-aware
 * mutations of valid requests (proto-inputs.ts), sent as raw bytes with a grpc-js client
 * to an in-process server on loopback. Invariants: every call settles, no INTERNAL or
 * UNKNOWN status, answers decode as the method's response, the server stays up, heap
 * growth after GC stays bounded, and afterwards a Bastion worker still completes a workflow.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import type { Type } from 'protobufjs';
import * as protoRoot from '@temporalio/proto';
import { IMPLEMENTED_METHODS } from '../../src/server/service';
import { WORKFLOW_SERVICE_NAME } from '../../src/common/proto';
import { startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { withTimeout } from '../helpers/wait';
import { runFuzz, formatReport, heapAfterGc, heapVerdict, Violation, clip, type FuzzTarget } from './harness';
import { newPools, remember, messageFor, damageWire, type Pools, type GenNotes } from './proto-inputs';

const test = suite('fuzz: dev server WorkflowService');
const CALL_DEADLINE_MS = 2000;
/** Heap the server may keep after GC for what the run created (workflows, histories). */
const HEAP_GROWTH_LIMIT_BYTES = 96 * 1024 * 1024;

const service = (
  protoRoot as unknown as { lookupService(n: string): { methods: Record<string, { requestType: string; responseType: string }>; lookupType(n: string): Type } }
).lookupService(WORKFLOW_SERVICE_NAME);
const methods = IMPLEMENTED_METHODS.map((name) => ({
  name,
  req: service.lookupType(service.methods[name]!.requestType),
  res: service.lookupType(service.methods[name]!.responseType),
}));

let env: BastionEnv;
let raw: grpc.Client;
const pools: Pools = newPools();

interface Case {
  method: (typeof methods)[number];
  bytes: Buffer;
  notes: GenNotes;
  fields: string[];
}

function call(method: string, bytes: Buffer, deadlineMs = CALL_DEADLINE_MS): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      `/${WORKFLOW_SERVICE_NAME}/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err, res) => resolve({ err, res }),
    );
  });
}

/** Real ids and tokens from an answer, so later cases reach existing state. */
function harvest(value: unknown, depth = 0): void {
  if (!value || typeof value !== 'object' || depth > 6) return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'runId') remember(pools.runIds, v);
    else if (k === 'workflowId') remember(pools.workflowIds, v);
    else if (k === 'taskToken' && v) remember(pools.taskTokens, Buffer.from(v as Uint8Array).toString('base64'));
    else if (k === 'nextPageToken' && v && (v as Uint8Array).length) remember(pools.pageTokens, Buffer.from(v as Uint8Array).toString('base64'));
    else if (typeof v === 'object') harvest(v, depth + 1);
  }
}

function newClient(): grpc.Client {
  return new grpc.Client(env.server.address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
}

/** Whether the server answers GetSystemInfo on the fuzzing connection, else on a new one. */
async function serverAnswers(): Promise<'yes' | 'stalled-connection' | 'no'> {
  if (!(await call('GetSystemInfo', Buffer.alloc(0), 2000)).err) return 'yes';
  raw.close();
  raw = newClient();
  return (await call('GetSystemInfo', Buffer.alloc(0), 5000)).err ? 'no' : 'stalled-connection';
}

const target: FuzzTarget<Case> = {
  name: 'workflow-service',
  iterations: 900,
  caseDeadlineMs: 15_000,
  generate(rng) {
    const method = rng.pick(methods);
    const notes: GenNotes = { mutations: [] };
    const obj = messageFor(method.req, rng, pools, notes);
    let bytes: Buffer;
    try {
      bytes = Buffer.from(method.req.encode(method.req.fromObject(obj)).finish());
    } catch (err) {
      // The object could not be encoded here (for example nesting deeper than this stack): send its top level only.
      notes.mutations.push(`client-side encode failed (${(err as Error).name}); sent without nested fields`);
      const flat = Object.fromEntries(Object.entries(obj).filter(([, v]) => typeof v !== 'object' || v === null));
      bytes = Buffer.from(method.req.encode(method.req.fromObject(flat)).finish());
    }
    if (rng.chance(0.25)) bytes = damageWire(bytes, method.req, rng, notes);
    return { method, bytes, notes, fields: Object.keys(obj) };
  },
  describe(c) {
    return `${c.method.name}: ${c.bytes.length} bytes, fields [${c.fields.join(',')}]${c.notes.mutations.length ? `, mutations: ${c.notes.mutations.join('; ')}` : ''}`;
  },
  async check(c) {
    const { err, res } = await call(c.method.name, c.bytes);
    if (!err) {
      let decoded: object;
      try {
        decoded = c.method.res.decode(res!);
      } catch (e) {
        throw new Violation('answer', `${c.method.name} answered bytes that do not decode as its response: ${(e as Error).message}`);
      }
      harvest(c.method.res.toObject(decoded as never, { bytes: Buffer }));
      return 'OK';
    }
    if (err.code === grpc.status.INTERNAL || err.code === grpc.status.UNKNOWN) {
      throw new Violation('status', `${c.method.name} answered ${grpc.status[err.code]}: ${clip(err.details, 300)}`);
    }
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED || err.code === grpc.status.CANCELLED) {
      const alive = await serverAnswers();
      const what = `after ${c.method.name} answered ${grpc.status[err.code]} (${clip(err.details, 120)})`;
      if (alive === 'no') throw new Violation('liveness', `${what}, the server no longer answers GetSystemInfo on any connection`);
      if (alive === 'stalled-connection')
        throw new Violation(
          'liveness',
          `${what}, the connection stalled (GetSystemInfo answered only on a new connection); case mutations: ${c.notes.mutations.join('; ') || 'none'}`,
        );
    }
    return grpc.status[err.code];
  },
};

test.before(async () => {
  env = await startBastionEnv();
  raw = newClient();
});

let closed = false;
test.after(async () => {
  if (closed) return;
  raw?.close();
  await env?.close();
});

/** Server-side sockets still open on `port` (after close there should be none). */
function lingeringSockets(port: number): net.Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h): h is net.Socket => h instanceof net.Socket && h.localPort === port);
}

test('mutated requests to every implemented method get expected statuses; the server still runs a workflow', async () => {
  const heapBefore = heapAfterGc();
  const report = await runFuzz(target);
  const { line, failure } = formatReport(target.name, 'dist/test/fuzz/workflow-service.test.js', report);
  console.log(line);
  const growth = heapAfterGc() - heapBefore;
  console.log(`fuzz workflow-service: heap growth after GC ${(growth / 1048576).toFixed(1)} MiB (limit ${HEAP_GROWTH_LIMIT_BYTES / 1048576} MiB)`);
  // The server still serves real work: a Bastion worker completes a workflow.
  const worker = await env.worker('fuzz-after');
  const result = await withTimeout(
    30_000,
    worker.runUntil(env.client.workflow.execute('greet', { taskQueue: 'fuzz-after', workflowId: `fuzz-after-${report.seed}`, args: ['fuzz'] })),
    'a workflow after fuzzing',
  );
  assert.is(result, 'Hello, fuzz!');
  // The server closes cleanly: no connection outlives close().
  const port = Number(env.server.address.split(':').pop());
  raw.close();
  await env.close();
  closed = true;
  const left = lingeringSockets(port);
  if (left.length > 0) {
    // Known defect server-echo-stalls-connection: the stalled stream's socket survives forceShutdown.
    assert.ok(report.known.has('server-echo-stalls-connection'), `DevServer.close() left ${left.length} connection(s) open (seed ${report.seed})`);
    console.log(`fuzz workflow-service: known defect server-echo-stalls-connection left ${left.length} server socket(s) open after close; destroyed`);
    for (const socket of left) socket.destroy();
  }
  if (failure) assert.unreachable(failure);
  const heap = heapVerdict(target.name, growth, HEAP_GROWTH_LIMIT_BYTES, report.seed, `over ${report.cases} cases`);
  if (heap) assert.unreachable(heap);
});

test.run();
