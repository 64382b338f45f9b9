/**
 * Replaying histories: runs workflow code over a recorded history and reports whether
 * it still issues the same commands. Use it in CI to catch nondeterministic changes
 * before they reach running workflows. With `metrics`, each replayed history records
 * `workflow_task_replay_latency` (or `workflow_task_execution_failed` when it fails).
 */
import { performance } from 'node:perf_hooks';
import * as fs from 'node:fs';
import { invalidOption } from '../common/errors';
import { RunDriver } from '../engine/run-driver';
import { attrsOf, num, type HistoryEvent } from '../engine/history-events';
import { bundleWorkflowCode } from './bundler';
import { WorkflowSandboxes } from './sandbox';
import { checkBundlePayloadConverter } from './bundle-inspect';
import { type DataConverter, type DataConverterOptions } from '../converter';
import { loadDataConverter } from '../converter/load-data-converter';
import { decodeHistoryEvents } from '../converter/history-codec';
import { historyFromJson } from '../engine/history-json';
import { processLogger } from '../common/logger';
import { SinkDispatcher } from './sink-dispatcher';
import { validateSinks, type InjectedSinks } from './sinks';
import { DeterminismError } from '../engine/determinism-error';
import { compileMetricsOption, type MetricsOptions } from '../observability/metrics-options';
import { NOOP_RECORDER, type MetricsRecorder } from '../observability/recorder';
import { WorkerMetrics } from '../observability/worker-metrics';

export interface ReplayOptions {
  workflowsPath?: string;
  workflowBundle?: { code: string } | { codePath: string };
  /**
   * The worker's data converter; with `payloadCodecs`, the history's payloads are decoded
   * before replay (a history from an encrypting worker needs the same codec).
   * @default the default converters, no codecs
   */
  dataConverter?: DataConverterOptions;
  /** The namespace the history comes from, for the codec context. @default 'default' */
  namespace?: string;
  /** @default '5s' per activation */
  activationTimeoutMs?: number;
  /** Sink functions, as for `Worker.create`; only those with `callDuringReplay: true` run during a replay. */
  sinks?: InjectedSinks;
  /**
   * Where to record each history's `workflow_task_replay_latency` (the time its workflow
   * tasks took to replay) and, for a history that fails, `workflow_task_execution_failed`;
   * labels `namespace`, `task_queue` (the history's) and `workflow_type`. Takes the same
   * `{ registry }`, `{ meterProvider }` or `{ recorder }` as `Worker.create`'s `metrics`;
   * for the process-wide metrics of `Runtime.install`, pass `{ recorder: Runtime.instance().telemetry!.recorder }`.
   * @default nothing recorded (a replay is a check, not a worker: as the official Core's replay worker, it stays out of the process-wide metrics)
   */
  metrics?: MetricsOptions | false;
}

/** A History object (decoded) or its proto3 JSON (as `temporal workflow show --output json` writes it). */
export type ReplayableHistory = { events?: unknown[] | null } | string;

export interface ReplayResult {
  workflowId: string;
  runId: string;
  /** Set when replay failed (a DeterminismError for changed code). */
  error?: Error;
}

/** The workflow code: bundled with the data converter's `payloadConverterPath`, or a prebuilt bundle checked against it. */
async function loadCode(o: ReplayOptions, dc: DataConverter): Promise<string> {
  if (o.workflowsPath) return (await bundleWorkflowCode({ workflowsPath: o.workflowsPath, payloadConverterPath: dc.payloadConverterPath })).code;
  if (o.workflowBundle) {
    const code = 'code' in o.workflowBundle ? o.workflowBundle.code : fs.readFileSync(o.workflowBundle.codePath, 'utf8');
    checkBundlePayloadConverter(code, dc.payloadConverterPath, (file) => fs.readFileSync(file, 'utf8'));
    return code;
  }
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

interface Replayer {
  sandboxes: WorkflowSandboxes;
  dc: DataConverter;
  namespace: string;
  timeoutMs: number;
  sinks: SinkDispatcher;
  metrics: MetricsRecorder;
}

async function replayer(options: ReplayOptions): Promise<Replayer> {
  // Checked before bundling, so a bad option fails at once.
  const metrics = options.metrics === undefined ? NOOP_RECORDER : compileMetricsOption(options.metrics, 'metrics');
  const dc = loadDataConverter(options.dataConverter);
  const sandboxes = new WorkflowSandboxes(await loadCode(options, dc), { encodeCommonAttributes: dc.encodeCommonAttributes === true });
  return {
    sandboxes,
    dc,
    namespace: options.namespace ?? 'default',
    timeoutMs: options.activationTimeoutMs ?? 5000,
    sinks: new SinkDispatcher(validateSinks(options.sinks), processLogger),
    metrics,
  };
}

async function replayOne(r: Replayer, history: ReplayableHistory, knownWorkflowId?: string): Promise<ReplayResult> {
  const recorded = toEvents(history);
  const first = recorded[0];
  if (!first || num(first.eventType) !== 1) throw invalidOption('history', 'must start with a WorkflowExecutionStarted event.');
  const started = attrsOf(first);
  const runId: string = started.originalExecutionRunId || 'replay-run';
  // The started event does not name its own workflow id; the recorded one is in `workflowId` when the history came with it.
  const workflowId: string = knownWorkflowId || started.workflowId || (history as { workflowId?: string }).workflowId || 'replay';
  const taskQueue: string = started.taskQueue?.name ?? 'replay';
  const workflowType: string = started.workflowType?.name ?? '';
  const metrics = new WorkerMetrics(r.metrics, r.namespace, taskQueue);
  const driver = new RunDriver(runId, r.sandboxes.create(), { namespace: r.namespace, taskQueue }, r.timeoutMs);
  // Every activation of a replay is replayed: the workflow logger and sinks stay silent, as in the official SDK.
  driver.onSinkCalls = (calls) => r.sinks.dispatch(calls);
  let began: number | undefined; // set once decoding is done: failures after it are the workflow's
  try {
    const events = await decodeHistoryEvents(r.dc.payloadCodecs ?? [], recorded, { namespace: r.namespace, workflowId });
    began = performance.now();
    const rr = await driver.process(events, undefined);
    if (rr.taskFailure) {
      metrics.workflowTaskFailed(workflowType, false);
      return { workflowId, runId, error: Object.assign(new Error(rr.taskFailure.message ?? 'workflow task failed'), { name: 'WorkflowTaskFailure' }) };
    }
    metrics.workflowTaskLatency(workflowType, performance.now() - began, true);
    return { workflowId, runId };
  } catch (error) {
    if (began !== undefined) metrics.workflowTaskFailed(workflowType, error instanceof DeterminismError);
    return { workflowId, runId, error: error as Error };
  } finally {
    driver.dispose();
  }
}

/**
 * Replays one history; throws its DeterminismError (or task failure) if replay fails.
 * @param workflowId the history's workflow id, for codecs bound to it (as in the official `runReplayHistory`). @default 'replay'
 */
export async function runReplayHistory(options: ReplayOptions, history: ReplayableHistory, workflowId?: string): Promise<void> {
  const rp = await replayer(options);
  try {
    const r = await replayOne(rp, history, workflowId);
    if (r.error) throw r.error;
  } finally {
    rp.sandboxes.close();
  }
}

/** Replays many histories with one bundle; yields a result per history. */
export async function* runReplayHistories(
  options: ReplayOptions,
  histories: Iterable<ReplayableHistory> | AsyncIterable<ReplayableHistory>,
): AsyncIterable<ReplayResult> {
  const r = await replayer(options);
  try {
    for await (const h of histories) yield await replayOne(r, h);
  } finally {
    r.sandboxes.close();
  }
}
