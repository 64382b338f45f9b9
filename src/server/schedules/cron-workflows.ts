/**
 * Cron workflows (`cronSchedule` on StartWorkflowExecution): the first workflow task
 * waits for the next cron time, and each run that completes or fails for good closes
 * with `newExecutionRunId` and starts the next run at the following cron time
 * (initiator CRON_SCHEDULE, carrying the last result or the failure). Cancelled and
 * terminated runs end the chain, as in Temporal Server.
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { Enums } from '../common';
import type { NewEvent } from '../json-proto';
import type { ExecutionState } from '../state';
import { closeRun, startNextRun } from '../workflows';
import { invalidArgument, ServiceError } from '../service-error';
import { CompiledSpec, canonicalSpec } from './spec';

const compiled = new Map<string, CompiledSpec>();

/**
 * Milliseconds from `nowMs` to the cron string's next time (UTC unless it names a zone).
 * @throws INVALID_ARGUMENT naming `cronSchedule` when the string does not parse
 */
export function cronBackoffMs(cron: string, nowMs: number): number {
  let spec = compiled.get(cron);
  if (!spec) {
    try {
      spec = new CompiledSpec(canonicalSpec({ cronString: [cron] }));
    } catch (err) {
      const why = err instanceof ServiceError ? err.message.replace(/^Invalid schedule spec: /, '') : String(err);
      throw invalidArgument(`Invalid \`cronSchedule\` "${cron.slice(0, 100)}": ${why}`);
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(cron, spec);
  }
  const next = spec.next(nowMs);
  return next ? Math.max(0, next.nominal - nowMs) : 0;
}

/** Closes a cron run with `newExecutionRunId` and starts the next run at the next cron time. */
export function continueCron(
  engine: Engine,
  exec: ExecutionState,
  status: number,
  closeEvent: NewEvent,
  fromWorkflowTask: boolean,
  carry: { lastCompletionResult?: object; continuedFailure?: object },
): void {
  const runId = randomUUID();
  const attributes = Object.keys(closeEvent).find((k) => k.endsWith('EventAttributes'));
  if (attributes) closeEvent[attributes] = { ...closeEvent[attributes], newExecutionRunId: runId };
  // The parent hears only of the last run of the chain.
  const parent = exec.parent;
  exec.parent = undefined;
  closeRun(engine, exec, status, closeEvent, fromWorkflowTask);
  exec.parent = parent;
  exec.newExecutionRunId = runId;
  const started = engine.history(exec.runId)[0]?.workflowExecutionStartedEventAttributes ?? {};
  startNextRun(engine, exec, runId, {
    attempt: 1,
    initiator: Enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
    lastCompletionResult: carry.lastCompletionResult ?? started.lastCompletionResult,
    continuedFailure: carry.continuedFailure,
    firstTaskBackoffMs: cronBackoffMs(exec.cronSchedule!, Date.now()) || undefined,
  });
}
