/**
 * Every timer a run needs is derived from its state (so a restarted server re-arms
 * them from the database, and timers that fell due while it was down fire at once).
 * This module registers the engine hooks: which timers, what each does, and recovery.
 */
import { hooks, type Engine } from './engine';
import { EventType, makeEvent } from './history';
import { isOpen, type ExecutionState } from './state';
import { activityTimers, onActivityTimer, recoverActivities, startActivityTask } from './activities';
import { dispatchWorkflowTask, failRun, recordExternal } from './workflows';
import { failWorkflowTask, moveToNormalQueue, startWorkflowTask, stickyTaskExpired, workflowTaskTimedOut } from './workflow-tasks';
import { startQueryTask } from './queries';

function runTimers(exec: ExecutionState): Map<string, number> {
  const out = new Map<string, number>();
  if (exec.executionDeadlineMs) out.set('exec-timeout', exec.executionDeadlineMs);
  if (exec.runDeadlineMs) out.set('run-timeout', exec.runDeadlineMs);
  const wft = exec.wft;
  if (wft) {
    if (wft.startedEventId && wft.startedTimeMs) out.set(`wft-timeout:${wft.scheduledEventId}:${wft.attempt}`, wft.startedTimeMs + exec.workflowTaskTimeoutMs);
    else if (wft.notBeforeMs) out.set(`wft-backoff:${wft.scheduledEventId}:${wft.attempt}`, wft.notBeforeMs);
    else if (wft.stickyDeadlineMs) out.set(`wft-sticky:${wft.scheduledEventId}:${wft.attempt}`, wft.stickyDeadlineMs);
  }
  for (const t of Object.values(exec.timers)) out.set(`timer:${t.timerId}`, t.fireAtMs);
  activityTimers(exec, out);
  return out;
}

function onTimer(engine: Engine, exec: ExecutionState, key: string): void {
  if (!isOpen(exec)) return;
  const [kind, a, b] = key.split(':');
  const wftMatches = () => exec.wft && exec.wft.scheduledEventId === Number(a) && exec.wft.attempt === Number(b);
  switch (kind) {
    case 'exec-timeout':
    case 'run-timeout':
      failRun(engine, exec, 'timedOut', undefined);
      return;
    case 'wft-timeout':
      if (wftMatches()) workflowTaskTimedOut(engine, exec);
      return;
    case 'wft-backoff':
      if (wftMatches() && exec.wft!.notBeforeMs) {
        exec.wft!.notBeforeMs = undefined;
        engine.touch(exec);
        dispatchWorkflowTask(engine, exec);
      }
      return;
    case 'wft-sticky':
      if (wftMatches()) stickyTaskExpired(engine, exec);
      return;
    case 'timer': {
      const timerId = key.slice('timer:'.length);
      const t = exec.timers[timerId];
      if (!t) return;
      delete exec.timers[timerId];
      recordExternal(engine, exec, makeEvent(EventType.EVENT_TYPE_TIMER_FIRED, { timerId, startedEventId: t.startedEventId }));
      return;
    }
    case 'act':
      onActivityTimer(engine, exec, key);
      return;
  }
}

/**
 * After a restart: a workflow task that was running is lost with its poller's
 * connection, so it times out now; a scheduled one is offered on the normal queue
 * (the sticky worker may be gone); waiting activity attempts are offered again.
 */
function recover(engine: Engine, exec: ExecutionState): void {
  const wft = exec.wft;
  if (wft?.startedEventId) failWorkflowTask(engine, exec, { timeout: true });
  else if (wft && wft.sticky) moveToNormalQueue(engine, exec);
  else if (wft && !wft.notBeforeMs) dispatchWorkflowTask(engine, exec);
  recoverActivities(engine, exec);
}

export function registerRunHooks(): void {
  hooks.timers = runTimers;
  hooks.onTimer = onTimer;
  hooks.recover = recover;
  hooks.startTask = (engine, kind, task, poll) => {
    const exec = engine.executions.get(task.runId);
    if (!exec) return null;
    if (kind === 'activity') return startActivityTask(engine, exec, task, poll);
    if (task.type === 'query') return startQueryTask(engine, exec, task, poll);
    return startWorkflowTask(engine, exec, task, poll);
  };
}
