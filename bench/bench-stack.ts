/**
 * One SDK's worker and client, built the same way for every benchmark child: plaintext or
 * mTLS (certificates from a folder written by `bench-pki`), with or without the encryption
 * codec, with the bench workflows (`dist/bench/fixtures/workflows.js`) and activities.
 * Bastion's `Worker`/`Client`/`Connection`, or `@temporalio/worker`/`@temporalio/client` 1.24.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { logged, note, quietLogger, ROOT } from './bench-util';

export { logged };
import { benchActivities } from './fixtures/activities';

/** The bench workflow file, bundled by each SDK. */
export const BENCH_WORKFLOWS = path.join(ROOT, 'dist/bench/fixtures/workflows.js');

export type Sdk = 'bastion' | 'official';

/** How a child reaches the server and what it puts on the wire. */
export interface StackOptions {
  address: string;
  /** Folder with `ca.pem`, `client.pem`, `client.key` (bench-pki); plaintext when absent. */
  tlsDir?: string;
  /** Turns on `EncryptionCodec` with the key in env `BENCH_CODEC_KEY` (base64, 32 bytes). */
  codec?: boolean;
}

function tlsFiles(dir: string): { ca: Buffer; crt: Buffer; key: Buffer } {
  return {
    ca: fs.readFileSync(path.join(dir, 'ca.pem')),
    crt: fs.readFileSync(path.join(dir, 'client.pem')),
    key: fs.readFileSync(path.join(dir, 'client.key')),
  };
}

async function payloadCodecs(o: StackOptions): Promise<unknown[] | undefined> {
  if (!o.codec) return undefined;
  const key = process.env.BENCH_CODEC_KEY;
  if (!key) throw new Error('`--codec` needs the env variable `BENCH_CODEC_KEY` (base64 of 32 random bytes); bench/run.js sets it.');
  const { EncryptionCodec, KeyRing } = await import('../codecs/index');
  return [await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'bench', keys: { bench: key } }) })];
}

/** A client of one SDK, reduced to what the scenarios use. */
export interface BenchClient {
  start(
    workflowType: string,
    workflowId: string,
    taskQueue: string,
    args: unknown[],
  ): Promise<{ signal(name: string, ...args: unknown[]): Promise<void>; result(): Promise<unknown> }>;
  execute(workflowType: string, workflowId: string, taskQueue: string, args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Connects one SDK's client. */
export async function connectClient(sdk: Sdk, o: StackOptions): Promise<BenchClient> {
  const codecs = await payloadCodecs(o);
  const dataConverter = codecs ? { payloadCodecs: codecs } : undefined;
  const t = o.tlsDir ? tlsFiles(o.tlsDir) : undefined;
  if (sdk === 'bastion') {
    const { Connection } = await import('../src/connection');
    const { Client } = await import('../src/client');
    const connection = await Connection.connect({
      address: o.address,
      tls: t ? { serverRootCACertificate: t.ca, clientCertPair: { crt: t.crt, key: t.key } } : false,
    });
    const client = new Client({ connection, ...(dataConverter ? { dataConverter: dataConverter as never } : {}) });
    return {
      start: (type, workflowId, taskQueue, args) => client.workflow.start(type, { taskQueue, workflowId, args }),
      execute: (type, workflowId, taskQueue, args) => client.workflow.execute(type, { taskQueue, workflowId, args }),
      close: () => connection.close(),
    };
  }
  const { Connection, Client } = await import('@temporalio/client');
  const connection = await Connection.connect({
    address: o.address,
    tls: t ? { serverRootCACertificate: t.ca, clientCertPair: { crt: t.crt, key: t.key } } : undefined,
  });
  const client = new Client({ connection, ...(dataConverter ? { dataConverter: dataConverter as never } : {}) });
  return {
    start: (type, workflowId, taskQueue, args) => client.workflow.start(type, { taskQueue, workflowId, args }),
    execute: (type, workflowId, taskQueue, args) => client.workflow.execute(type, { taskQueue, workflowId, args }),
    close: () => connection.close(),
  };
}

/** A running-capable worker of one SDK. */
export interface BenchWorker {
  state(): string;
  cachedWorkflows(): number;
  runUntil<R>(fn: () => Promise<R>): Promise<R>;
  close(): Promise<void>;
  /** performance.now() marks: sdkLoadedMs, connectedMs, bundledMs, createdMs. */
  marks: Record<string, number>;
}

/** Creates one SDK's worker on `taskQueue` (bundling the bench workflows). */
export async function createWorker(sdk: Sdk, o: StackOptions, taskQueue: string, extra: Record<string, unknown> = {}): Promise<BenchWorker> {
  const marks: Record<string, number> = {};
  const codecs = await payloadCodecs(o);
  const dataConverter = codecs ? { payloadCodecs: codecs } : undefined;
  const t = o.tlsDir ? tlsFiles(o.tlsDir) : undefined;
  if (sdk === 'bastion') {
    const { Connection } = await import('../src/connection');
    const { Worker, bundleWorkflowCode } = await import('../src/worker');
    const quiet = quietLogger;
    marks.sdkLoadedMs = performance.now();
    const connection = await Connection.connect({
      address: o.address,
      tls: t ? { serverRootCACertificate: t.ca, clientCertPair: { crt: t.crt, key: t.key } } : false,
    });
    marks.connectedMs = performance.now();
    const { code } = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS });
    marks.bundledMs = performance.now();
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { code },
      activities: benchActivities,
      shutdownSignals: [],
      logger: quiet,
      ...(dataConverter ? { dataConverter: dataConverter as never } : {}),
      ...extra,
    });
    marks.createdMs = performance.now();
    return {
      marks,
      state: () => worker.getState(),
      cachedWorkflows: () => worker.getStatus().cachedWorkflows,
      runUntil: (fn) => worker.runUntil(fn),
      close: () => connection.close(),
    };
  }
  const { Worker, NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } = await import('@temporalio/worker');
  const logger = new DefaultLogger('ERROR', (e) => note(e.level === 'WARN' ? 'warn' : 'error', e.message, e.meta));
  Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  marks.sdkLoadedMs = performance.now();
  const connection = await NativeConnection.connect({
    address: o.address,
    tls: t ? { serverRootCACertificate: t.ca, clientCertPair: { crt: t.crt, key: t.key } } : undefined,
  });
  marks.connectedMs = performance.now();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS, logger });
  marks.bundledMs = performance.now();
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle,
    activities: benchActivities,
    ...(dataConverter ? { dataConverter: dataConverter as never } : {}),
    ...extra,
  });
  marks.createdMs = performance.now();
  return {
    marks,
    state: () => worker.getState(),
    cachedWorkflows: () => worker.getStatus().numCachedWorkflows,
    runUntil: (fn) => worker.runUntil(fn),
    close: () => connection.close(),
  };
}

/** Resident memory and peak resident memory of a process in MiB, from /proc; undefined off Linux. */
export function procMemMiB(pid: number | undefined): { rss: number; hwm: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number((text.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) ?? [])[1]);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects when `p` has not settled within `ms`, naming what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stalled: ${what()} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}
