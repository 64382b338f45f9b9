/**
 * Replaying histories: runs workflow code over a recorded history and reports whether
 * it still issues the same commands. Use it in CI to catch nondeterministic changes
 * before they reach running workflows.
 */
import * as fs from 'node:fs';
import { invalidOption } from '../common/errors';
import { RunDriver } from '../engine/run-driver';
import { attrsOf, num, type HistoryEvent } from '../engine/history-events';
import { bundleWorkflowCode } from './bundler';
import { WorkflowSandboxes } from './sandbox';
import type { PayloadConverter } from '../converter';
import { historyFromJson } from '../engine/history-json';

export interface ReplayOptions {
  workflowsPath?: string;
  workflowBundle?: { code: string } | { codePath: string };
  dataConverter?: { payloadConverter?: PayloadConverter };
  /** @default '5s' per activation */
  activationTimeoutMs?: number;
}

/** A History object (decoded) or its proto3 JSON (as `temporal workflow show --output json` writes it). */
export type ReplayableHistory = { events?: unknown[] | null } | string;

export interface ReplayResult {
  workflowId: string;
  runId: string;
  /** Set when replay failed (a DeterminismError for changed code). */
  error?: Error;
}

async function loadCode(o: ReplayOptions): Promise<string> {
  if (o.workflowsPath) return (await bundleWorkflowCode({ workflowsPath: o.workflowsPath })).code;
  if (o.workflowBundle) return 'code' in o.workflowBundle ? o.workflowBundle.code : fs.readFileSync(o.workflowBundle.codePath, 'utf8');
  throw invalidOption('workflowsPath', 'or `workflowBundle` is required to replay.');
}

/** A decoded History as is; JSON text, or a parsed proto3-JSON object, through `historyFromJson`. */
function toEvents(history: ReplayableHistory): HistoryEvent[] {
  if (typeof history === 'string') return (historyFromJson(history).events ?? []) as HistoryEvent[];
  const events = (history?.events ?? []) as HistoryEvent[];
  const first = events[0] as Record<string, unknown> | undefined;
  const decoded = !first || (typeof first.eventType === 'number' && typeof first.eventId !== 'string');
  return decoded ? events : ((historyFromJson(history).events ?? []) as HistoryEvent[]);
}

async function replayOne(sandboxes: WorkflowSandboxes, history: ReplayableHistory, timeoutMs: number): Promise<ReplayResult> {
  const events = toEvents(history);
  const first = events[0];
  if (!first || num(first.eventType) !== 1) throw invalidOption('history', 'must start with a WorkflowExecutionStarted event.');
  const started = attrsOf(first);
  const runId: string = started.originalExecutionRunId || 'replay-run';
  const workflowId: string = started.workflowId || 'replay';
  const driver = new RunDriver(runId, sandboxes.create(), { namespace: 'default', taskQueue: started.taskQueue?.name ?? 'replay' }, timeoutMs);
  try {
    const r = await driver.process(events, undefined);
    if (r.taskFailure) return { workflowId, runId, error: Object.assign(new Error(r.taskFailure.message ?? 'workflow task failed'), { name: 'WorkflowTaskFailure' }) };
    return { workflowId, runId };
  } catch (error) {
    return { workflowId, runId, error: error as Error };
  } finally {
    driver.dispose();
  }
}

/** Replays one history; throws its DeterminismError (or task failure) if replay fails. */
export async function runReplayHistory(options: ReplayOptions, history: ReplayableHistory): Promise<void> {
  const sandboxes = new WorkflowSandboxes(await loadCode(options));
  const r = await replayOne(sandboxes, history, options.activationTimeoutMs ?? 5000);
  if (r.error) throw r.error;
}

/** Replays many histories with one bundle; yields a result per history. */
export async function* runReplayHistories(options: ReplayOptions, histories: Iterable<ReplayableHistory> | AsyncIterable<ReplayableHistory>): AsyncIterable<ReplayResult> {
  const sandboxes = new WorkflowSandboxes(await loadCode(options));
  for await (const h of histories) yield await replayOne(sandboxes, h, options.activationTimeoutMs ?? 5000);
}
