/**
 * Network-fault trials for test/faults: a worker (Bastion's or the official one) behind a
 * {@link FaultProxy}, workflows of three activities started before and during a fault,
 * and what the histories say afterwards. Short by default (npm test); `BASTION_FAULTS=long`
 * (set by `npm run faults`) runs the trial's sizes: 100 workflows, 90 s faults.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type ConnectionOptions } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker, type WorkerOptions } from '../../src/worker';
import { temporal } from '../../src/common/proto';
import { bastionBundle } from './bastion-env';
import { installQuietRuntime, workflowBundle } from './official-env';
import { FaultProxy } from './fault-proxy';
import { waitFor } from './wait';
import { freePort, spawnDevServer, type Spawned } from './processes';
import { DevServer } from '../../src/testing';

const ET = temporal.api.enums.v1.EventType;

/** `BASTION_FAULTS=long`: the trial's sizes. */
export const LONG = process.env.BASTION_FAULTS === 'long';
/** Workflows per trial, and how long each fault lasts. */
export const SIZES = LONG ? { workflows: 100, faultMs: 90_000 } : { workflows: 6, faultMs: 12_000 };

export type Engine = 'bastion' | 'official';
export type Fault = 'blackHole' | 'refuse' | 'kill';

export interface TrialResult {
  engine: Engine;
  fault: Fault;
  workflows: number;
  faultMs: number;
  /** From the end of the fault to the first workflow completed after it (history event time). */
  firstCompletionMs: number | undefined;
  /** From the end of the fault to the last workflow completed. */
  allCompletedMs: number | undefined;
  /** WorkflowTaskFailed events over all histories. */
  workflowTaskFailed: number;
  /** WorkflowTaskTimedOut events over all histories, and how many of each timeout type. */
  workflowTaskTimedOut: number;
  workflowTaskTimeoutTypes: Record<string, number>;
  /** Activity executions the worker started, and the 3 per workflow that were needed. */
  activityExecutions: number;
  expectedActivities: number;
  /** Extra executions that recorded timeouts explain: each activity attempt beyond the first that followed a timeout. */
  attemptsAfterTimeouts: number;
  /** Log lines of Bastion's worker (message only). */
  logs: Array<{ level: string; message: string; meta?: Record<string, unknown> }>;
}

/** Bastion's connection settings in the short trials: a dead connection is noticed in seconds, not 45 s. */
export function shortConnectionSettings(): Partial<ConnectionOptions> {
  return LONG ? {} : { keepAlive: { interval: '2s', timeout: '2s' }, connectTimeout: '2s' };
}

interface RunningWorker {
  stop(): Promise<void>;
}

async function startWorker(
  engine: Engine,
  address: string,
  taskQueue: string,
  onActivity: () => void,
  logs: TrialResult['logs'],
  extra: Partial<WorkerOptions>,
): Promise<RunningWorker> {
  const greet = async (name: string): Promise<string> => {
    onActivity();
    return `Hello, ${name}!`;
  };
  if (engine === 'bastion') {
    const log = (level: string) => (message: string, meta?: Record<string, unknown>) => void logs.push({ level, message, meta });
    const logger = { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') };
    const connection = await Connection.connect({ address, logger, ...shortConnectionSettings() });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: await bastionBundle(),
      activities: { greet },
      shutdownGraceTime: '1s',
      shutdownSignals: [],
      logger,
      ...extra,
    });
    const running = worker.run();
    return {
      async stop() {
        if (worker.getState() === 'RUNNING') void worker.shutdown();
        await running.catch(() => undefined);
        await connection.close();
      },
    };
  }
  installQuietRuntime();
  const official = await import('@temporalio/worker');
  const connection = await official.NativeConnection.connect({ address });
  const worker = await official.Worker.create({
    connection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { greet },
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    },
  };
}

/** A server the trial can break: in-process for network faults, a process with a database file for kill -9. */
interface TrialServer {
  address: string;
  kill?(): Promise<void>;
  restart?(): Promise<void>;
  close(): Promise<void>;
}

async function startServer(fault: Fault): Promise<TrialServer> {
  if (fault !== 'kill') {
    const server = await DevServer.start({ logLevel: 'off' });
    return { address: server.address, close: () => server.close() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-faults-'));
  const args = ['--port', String(await freePort()), '--db-filename', path.join(dir, 'dev.db'), '--log-level', 'error'];
  let proc: Spawned & { address: string } = await spawnDevServer(args);
  return {
    address: proc.address,
    async kill() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
    async restart() {
      proc = await spawnDevServer(args);
    },
    async close() {
      proc.kill('SIGTERM');
      await proc.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs one trial: half the workflows before the fault (once the worker has run one
 * activity), half while it lasts, then waits until every workflow has completed by itself.
 */
export async function runTrial(
  engine: Engine,
  fault: Fault,
  options: { workflows?: number; faultMs?: number; worker?: Partial<WorkerOptions>; onFault?: (phase: 'start' | 'end') => void | Promise<void> } = {},
): Promise<TrialResult> {
  const workflows = options.workflows ?? SIZES.workflows;
  const faultMs = options.faultMs ?? SIZES.faultMs;
  const server = await startServer(fault);
  const proxy = await FaultProxy.start(server.address);
  const clientConnection = await Connection.connect({
    address: server.address,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const client = new Client({ connection: clientConnection });
  const taskQueue = `faults-${engine}-${fault}`;
  let activityExecutions = 0;
  const logs: TrialResult['logs'] = [];
  const worker = await startWorker(engine, proxy.address, taskQueue, () => void activityExecutions++, logs, options.worker ?? {});
  const ids: string[] = [];
  const start = async (i: number): Promise<void> => {
    const workflowId = `${taskQueue}-${i}`;
    await client.workflow.start('threeSteps', { taskQueue, workflowId, args: [`w${i}`] });
    ids.push(workflowId);
  };
  let faultEndedAt = 0;
  try {
    const before = Math.ceil(workflows / 2);
    for (let i = 0; i < before; i++) await start(i);
    await waitFor(() => activityExecutions > 0, 60_000, 'the worker runs an activity before the fault');
    if (fault === 'blackHole') proxy.blackHole();
    else if (fault === 'refuse') await proxy.refuse();
    else await server.kill!();
    await options.onFault?.('start');
    if (fault === 'kill') {
      // The client talks to the server directly: workflows started during the fault wait for the restart.
      await new Promise((r) => setTimeout(r, faultMs));
      await server.restart!();
      faultEndedAt = Date.now();
      for (let i = before; i < workflows; i++) await start(i);
    } else {
      for (let i = before; i < workflows; i++) await start(i);
      // The fault's length is the trial's parameter, not a synchronisation.
      await new Promise((r) => setTimeout(r, faultMs));
      await proxy.heal();
      faultEndedAt = Date.now();
    }
    await options.onFault?.('end');
    const closed = async (id: string): Promise<boolean> => {
      const d = await client.workflow.getHandle(id).describe();
      if (d.status.name === 'RUNNING') return false;
      if (d.status.name !== 'COMPLETED') throw new Error(`${id} closed as ${d.status.name}`);
      return true;
    };
    const pending = new Set(ids);
    await waitFor(
      async () => {
        for (const id of [...pending]) if (await closed(id)) pending.delete(id);
        return pending.size === 0;
      },
      LONG ? 600_000 : 150_000,
      `all ${workflows} workflows completed`,
      200,
    );
    let workflowTaskFailed = 0;
    let workflowTaskTimedOut = 0;
    const workflowTaskTimeoutTypes: Record<string, number> = {};
    let attemptsAfterTimeouts = 0;
    const completions: number[] = [];
    for (const id of ids) {
      const { events } = await client.workflow.getHandle(id).fetchHistory();
      for (const e of events) {
        const type = Number(e.eventType);
        if (type === ET.EVENT_TYPE_WORKFLOW_TASK_FAILED) workflowTaskFailed++;
        if (type === ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) {
          workflowTaskTimedOut++;
          const t = temporal.api.enums.v1.TimeoutType[Number(e.workflowTaskTimedOutEventAttributes?.timeoutType)] ?? 'UNKNOWN';
          workflowTaskTimeoutTypes[t] = (workflowTaskTimeoutTypes[t] ?? 0) + 1;
        }
        if (type === ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) completions.push(eventTimeMs(e));
        if (type === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
          const a = e.activityTaskStartedEventAttributes!;
          if (Number(a.attempt) > 1 && /timeout/i.test(`${a.lastFailure?.message} ${a.lastFailure?.timeoutFailureInfo ? 'timeout' : ''}`))
            attemptsAfterTimeouts += Number(a.attempt) - 1;
        }
      }
    }
    const after = completions.filter((t) => t >= faultEndedAt).sort((a, b) => a - b);
    return {
      engine,
      fault,
      workflows,
      faultMs,
      firstCompletionMs: after.length ? after[0]! - faultEndedAt : undefined,
      allCompletedMs: after.length ? after[after.length - 1]! - faultEndedAt : undefined,
      workflowTaskFailed,
      workflowTaskTimedOut,
      workflowTaskTimeoutTypes,
      activityExecutions,
      expectedActivities: 3 * workflows,
      attemptsAfterTimeouts,
      logs,
    };
  } finally {
    await worker.stop();
    await clientConnection.close();
    await proxy.close();
    await server.close();
  }
}

function eventTimeMs(e: Record<string, any>): number {
  const t = e.eventTime;
  if (t instanceof Date) return t.getTime();
  const seconds = typeof t?.seconds?.toNumber === 'function' ? t.seconds.toNumber() : Number(t?.seconds ?? 0);
  return seconds * 1000 + Math.floor(Number(t?.nanos ?? 0) / 1e6);
}

/** One line per trial for the results table in docs/worker.md. */
export function describeTrial(r: TrialResult): string {
  const s = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const types = Object.entries(r.workflowTaskTimeoutTypes)
    .map(([t, n]) => `${n} ${t.replace(/^TIMEOUT_TYPE_/, '').toLowerCase()}`)
    .join(', ');
  return `| ${r.engine} | ${r.fault} ${r.faultMs / 1000} s | ${r.workflows} | ${s(r.firstCompletionMs)} | ${s(r.allCompletedMs)} | ${r.workflowTaskFailed} | ${r.workflowTaskTimedOut}${types ? ` (${types})` : ''} | ${r.activityExecutions - r.expectedActivities} (${r.attemptsAfterTimeouts} after timeouts) |`;
}
