/** Workflow info, continue-as-new, patches, ids, search attributes, memo and logging. */
import { activator, hasActivator } from './runtime/current';
import { COMMAND_TYPE } from './runtime/activator';
import { ContinueAsNew, type WorkflowInfo } from './runtime/workflow-info';
import { durationProto, optionalMs } from './runtime/durations';
import { composeInterceptors, type ContinueAsNewInput } from './interceptors';
import { LOGGER_SINK_NAME } from './sinks';
import type { Workflow } from '../common/definitions';

/** Facts about the current run. */
export function workflowInfo(): WorkflowInfo {
  return activator().info;
}

/** True when called from workflow code. */
export function inWorkflowContext(): boolean {
  return hasActivator();
}

export interface ContinueAsNewOptions {
  workflowType?: string;
  taskQueue?: string;
  workflowRunTimeout?: number | string;
  workflowTaskTimeout?: number | string;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
}

/** Returns a function that ends this run and starts a new one with the given arguments. */
export function makeContinueAsNewFunc<F extends Workflow>(options: ContinueAsNewOptions = {}): (...args: Parameters<F>) => Promise<never> {
  return async (...args: Parameters<F>): Promise<never> => {
    const a = activator();
    const pc = a.payloadConverter;
    const run = composeInterceptors(a.outbound, 'continueAsNew', async (input: ContinueAsNewInput): Promise<never> => {
      const o = input.options as ContinueAsNewOptions;
      throw new ContinueAsNew({
        workflowType: { name: o.workflowType ?? a.info.workflowType },
        taskQueue: { name: o.taskQueue ?? a.info.taskQueue },
        input: a.toPayloads(input.args),
        workflowRunTimeout: durationProto(optionalMs(o.workflowRunTimeout, 'workflowRunTimeout') ?? a.info.runTimeoutMs),
        workflowTaskTimeout: durationProto(optionalMs(o.workflowTaskTimeout, 'workflowTaskTimeout')),
        header: { fields: input.headers },
        memo: o.memo ? { fields: Object.fromEntries(Object.entries(o.memo).map(([k, v]) => [k, pc.toPayload(v)])) } : undefined,
        searchAttributes: o.searchAttributes
          ? { indexedFields: Object.fromEntries(Object.entries(o.searchAttributes).map(([k, v]) => [k, pc.toPayload(v)])) }
          : undefined,
      });
    });
    return run({ args, options, headers: {} });
  };
}

/** Ends this run and starts a new run of the same workflow with `args`. */
export function continueAsNew<F extends Workflow>(...args: Parameters<F>): Promise<never> {
  return makeContinueAsNewFunc<F>()(...args);
}

/** A random v4 UUID from the run's seeded random stream (deterministic on replay). */
export function uuid4(): string {
  const r = activator().random;
  const hex: string[] = [];
  for (let i = 0; i < 16; i++)
    hex.push(
      Math.floor(r() * 256)
        .toString(16)
        .padStart(2, '0'),
    );
  hex[6] = ((parseInt(hex[6]!, 16) & 0x0f) | 0x40).toString(16).padStart(2, '0');
  hex[8] = ((parseInt(hex[8]!, 16) & 0x3f) | 0x80).toString(16).padStart(2, '0');
  return `${hex.slice(0, 4).join('')}-${hex.slice(4, 6).join('')}-${hex.slice(6, 8).join('')}-${hex.slice(8, 10).join('')}-${hex.slice(10).join('')}`;
}

const PATCH_MARKER = 'core_patch';

function patchMarker(patchId: string, deprecated: boolean): Record<string, any> {
  const a = activator();
  return {
    commandType: COMMAND_TYPE.RECORD_MARKER,
    recordMarkerCommandAttributes: {
      markerName: PATCH_MARKER,
      details: { 'patch-data': { payloads: [a.payloadConverter.toPayload({ id: patchId, deprecated })] } },
    },
  };
}

/**
 * Whether this run takes the new code path of a patch: always for new runs (recording
 * a marker), and on replay only if the history has the marker.
 */
export function patched(patchId: string): boolean {
  const a = activator();
  const use = !a.isReplaying || a.knownPatches.has(patchId);
  if (use && !a.sentPatches.has(patchId)) {
    a.sentPatches.add(patchId);
    a.push(patchMarker(patchId, false));
  }
  return use;
}

/** Marks a patch as deprecated: the new code path is the only one left. */
export function deprecatePatch(patchId: string): void {
  const a = activator();
  if (!a.sentPatches.has(patchId)) {
    a.sentPatches.add(patchId);
    a.push(patchMarker(patchId, true));
  }
}

/** Upserts search attributes (values are lists, as in the official SDK). */
export function upsertSearchAttributes(searchAttributes: Record<string, unknown[] | undefined>): void {
  const a = activator();
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(searchAttributes)) fields[k] = a.payloadConverter.toPayload(v === undefined ? [] : v);
  a.info.searchAttributes = { ...a.info.searchAttributes, ...searchAttributes };
  a.push({
    commandType: COMMAND_TYPE.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: { indexedFields: fields } },
  });
}

/** Upserts memo fields; `undefined` removes one. */
export function upsertMemo(memo: Record<string, unknown>): void {
  const a = activator();
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(memo)) fields[k] = v === undefined ? {} : a.payloadConverter.toPayload(v);
  a.info.memo = { ...(a.info.memo ?? {}), ...memo };
  a.push({ commandType: COMMAND_TYPE.MODIFY_WORKFLOW_PROPERTIES, modifyWorkflowPropertiesCommandAttributes: { upsertedMemo: { fields } } });
}

type LogFn = (message: string, attrs?: Record<string, unknown>) => void;
const emit =
  (level: string): LogFn =>
  (message, attrs) => {
    if (!hasActivator()) return;
    const a = activator();
    // The worker drops logger calls made during replay anyway; not buffering them is cheaper.
    if (a.isReplaying) return;
    a.pushSinkCall(LOGGER_SINK_NAME, level, [message, attrs ?? {}]);
  };

/**
 * A logger for workflow code, as `log` from @temporalio/workflow: each record reaches the
 * worker's logger through a sink, with the run's `namespace`, `taskQueue`, `workflowId`,
 * `runId` and `workflowType` as fields, and nothing is written while the run replays.
 */
export const log = { trace: emit('trace'), debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
