/**
 * The updates of each run: admitted, accepted and completed updates live in the run's
 * state (`ExecutionState.updates`, persisted with it, so they survive a restart with
 * `--db-filename`); rejected and aborted updates leave the run and are remembered in
 * memory for a minute, for the callers still waiting on them. Callers wait for a stage
 * by watching the run's events: every change of an update comes with an event (the
 * workflow task that carried it, its completion, or the close of the run).
 */
import type { Engine } from './engine';
import type { ExecutionState } from './state';
import { Enums } from './common';
import { serverNow } from './clock';
import type { ServiceError } from './service-error';

const Stage = Enums.UpdateWorkflowExecutionLifecycleStage;

/** One update of a run, in JSON form (see json-proto.ts). */
export interface UpdateRecord {
  updateId: string;
  /** `temporal.api.update.v1.Request` in JSON form. */
  request: Record<string, any>;
  stage: 'admitted' | 'accepted' | 'completed';
  admittedTimeMs: number;
  /** `startedEventId` of the workflow task that carried the request last (0 = not sent yet). */
  sentInTask: number;
  acceptedEventId?: number;
  /** `temporal.api.update.v1.Outcome` in JSON form, once completed (or rejected). */
  outcome?: Record<string, any>;
}

/** How long a rejected or aborted update is remembered for waiting callers. @default 60 s */
export const SETTLED_MEMORY_MS = 60_000;

type Settled = { outcome: Record<string, any> } | { error: ServiceError };

const settledByEngine = new WeakMap<Engine, Map<string, Settled>>();

function settledOf(engine: Engine): Map<string, Settled> {
  let m = settledByEngine.get(engine);
  if (!m) {
    m = new Map();
    settledByEngine.set(engine, m);
  }
  return m;
}

const key = (runId: string, updateId: string) => `${runId}\u0000${updateId}`;

export function updatesOf(exec: ExecutionState): Record<string, UpdateRecord> {
  if (!exec.updates) exec.updates = {};
  return exec.updates;
}

export function findUpdate(exec: ExecutionState, updateId: string): UpdateRecord | undefined {
  return exec.updates?.[updateId];
}

export function newUpdate(exec: ExecutionState, updateId: string, request: Record<string, any>): UpdateRecord {
  const rec: UpdateRecord = { updateId, request, stage: 'admitted', admittedTimeMs: serverNow(), sentInTask: 0 };
  updatesOf(exec)[updateId] = rec;
  return rec;
}

/** Removes an update from its run and remembers how it ended, for waiting callers. */
export function settleUpdate(engine: Engine, exec: ExecutionState, updateId: string, how: Settled): void {
  if (exec.updates) delete exec.updates[updateId];
  const all = settledOf(engine);
  const k = key(exec.runId, updateId);
  all.set(k, how);
  setTimeout(() => all.delete(k), SETTLED_MEMORY_MS).unref();
  engine.touch(exec);
}

export function settledUpdate(engine: Engine, runId: string, updateId: string): Settled | undefined {
  return settledOf(engine).get(key(runId, updateId));
}

/** The wire stage of an update record. */
export function stageOf(rec: UpdateRecord): number {
  if (rec.stage === 'completed') return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
  if (rec.stage === 'accepted') return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
  return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
}

/** Updates not yet accepted or rejected: each workflow task carries them until the worker answers. */
export function pendingRequests(exec: ExecutionState): UpdateRecord[] {
  return Object.values(exec.updates ?? {}).filter((u) => u.stage === 'admitted');
}

/** Admitted updates that no workflow task carried yet (they need a new task). */
export function undelivered(exec: ExecutionState): UpdateRecord[] {
  return pendingRequests(exec).filter((u) => u.sentInTask === 0);
}
