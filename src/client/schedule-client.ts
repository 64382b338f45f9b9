/**
 * `client.schedule`: create, getHandle and list schedules, and a handle's describe,
 * update, trigger, backfill, pause, unpause and delete — the official client's names and
 * shapes. The action's arguments and memo go through the client's converter and codecs
 * (so an encrypting codec keeps them encrypted in the server's schedule); search
 * attributes stay in clear for the server to index.
 */
import { randomUUID } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import { invalidOption } from '../common/errors';
import { parseDuration } from '../common/duration';
import { temporal } from '../common/proto';
import type { Payload } from '../converter';
import { transformPayloadMap } from '../converter/codec-chain';
import type { WorkflowClient } from './client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from './schedule-errors';
import { dateOf, decodeOverlap, decodeRecentActions, decodeScheduleSpec, dur, encodeOverlap, encodeScheduleSpec, msOf, tsOf } from './schedule-helpers';
import type {
  Backfill,
  ScheduleDescription,
  ScheduleListOptions,
  ScheduleOptions,
  ScheduleOptionsAction,
  ScheduleOverlapPolicy,
  ScheduleSummary,
  ScheduleUpdateOptions,
} from './schedule-types';

const INVALID_SPEC = 'Invalid schedule spec: ';

function nameOf(ref: unknown): string {
  if (typeof ref === 'string' && ref) return ref;
  if (typeof ref === 'function' && ref.name) return ref.name;
  throw invalidOption('action.workflowType', 'is required: a workflow type name or the workflow function.');
}

/** Schedule operations of a Client (`client.schedule`). */
export class ScheduleClient {
  constructor(
    /** @internal The workflow client whose converter, codecs and identity schedules share. */
    readonly workflowClient: WorkflowClient,
  ) {}

  get namespace(): string {
    return this.workflowClient.namespace;
  }

  private get svc() {
    return this.workflowClient.connection.workflowService;
  }

  /** @internal Turns the server's answer into the official client's errors. */
  rethrow(err: unknown, scheduleId: string | undefined): never {
    const e = err as { code?: number; details?: string };
    if (e.code === grpcStatus.ALREADY_EXISTS) throw new ScheduleAlreadyRunning(`Schedule "${scheduleId}" already exists and is running.`, scheduleId ?? '');
    if (e.code === grpcStatus.NOT_FOUND) throw new ScheduleNotFoundError(`Schedule "${scheduleId}" was not found: ${e.details ?? ''}`, scheduleId ?? '');
    if (e.code === grpcStatus.INVALID_ARGUMENT && e.details?.startsWith(INVALID_SPEC))
      throw invalidOption('spec', `is refused by the server: ${e.details.slice(INVALID_SPEC.length)}`);
    throw err;
  }

  /** @internal The wire Schedule of create/update options. */
  async encodeSchedule(scheduleId: string, o: ScheduleOptions | ScheduleUpdateOptions, header: Record<string, Payload> = {}) {
    const a = o?.action as ScheduleOptionsAction | undefined;
    if (!a || a.type !== 'startWorkflow') throw invalidOption('action', "is required: `{ type: 'startWorkflow', workflowType, taskQueue, args }`.");
    if (typeof a.taskQueue !== 'string' || !a.taskQueue) throw invalidOption('action.taskQueue', 'is required.');
    const wc = this.workflowClient;
    const workflowId = a.workflowId ?? `${scheduleId}-workflow`;
    const ms = (v: unknown, name: string) => (v === undefined ? undefined : dur(parseDuration(v, name)));
    const remaining = o.state?.remainingActions;
    if (remaining !== undefined && !(Number.isInteger(remaining) && remaining >= 0))
      throw invalidOption('state.remainingActions', `must be a whole number, 0 or more; got ${remaining}.`);
    return {
      spec: encodeScheduleSpec(o.spec),
      action: {
        startWorkflow: {
          workflowId,
          workflowType: { name: nameOf(a.workflowType) },
          taskQueue: { name: a.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          input: await wc.payloads([...(a.args ?? [])], workflowId),
          workflowExecutionTimeout: ms(a.workflowExecutionTimeout, 'action.workflowExecutionTimeout'),
          workflowRunTimeout: ms(a.workflowRunTimeout, 'action.workflowRunTimeout'),
          workflowTaskTimeout: ms(a.workflowTaskTimeout, 'action.workflowTaskTimeout'),
          retryPolicy: a.retry
            ? {
                initialInterval: ms(a.retry.initialInterval, 'action.retry.initialInterval'),
                backoffCoefficient: a.retry.backoffCoefficient,
                maximumInterval: ms(a.retry.maximumInterval, 'action.retry.maximumInterval'),
                maximumAttempts: a.retry.maximumAttempts,
                nonRetryableErrorTypes: a.retry.nonRetryableErrorTypes,
              }
            : undefined,
          memo: a.memo ? { fields: await this.encodeMemo(a.memo, workflowId) } : undefined,
          searchAttributes: a.searchAttributes ? { indexedFields: this.encodeSearchAttributes(a.searchAttributes) } : undefined,
          header: { fields: header },
        },
      },
      policies: {
        overlapPolicy: encodeOverlap(o.policies?.overlap),
        catchupWindow: ms(o.policies?.catchupWindow, 'policies.catchupWindow'),
        pauseOnFailure: o.policies?.pauseOnFailure,
      },
      state: { paused: o.state?.paused, notes: o.state?.note, limitedActions: remaining !== undefined, remainingActions: remaining },
    };
  }

  private async encodeMemo(memo: Record<string, unknown>, workflowId: string) {
    const pc = this.workflowClient.payloadConverter;
    return transformPayloadMap(
      this.workflowClient.encode,
      Object.fromEntries(Object.entries(memo).map(([k, v]) => [k, pc.toPayload(v)])),
      this.workflowClient.context(workflowId),
    );
  }

  /** @internal Search attributes stay in clear: the server indexes them. */
  encodeSearchAttributes(attrs: Record<string, unknown[]>) {
    const pc = this.workflowClient.payloadConverter;
    return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, pc.toPayload(v)]));
  }

  /** @internal */
  decodeSearchAttributes(fields: Record<string, Payload> | null | undefined): Record<string, unknown[]> {
    const pc = this.workflowClient.payloadConverter;
    const out: Record<string, unknown[]> = {};
    for (const [k, p] of Object.entries(fields ?? {})) {
      const v = pc.fromPayload(p);
      out[k] = Array.isArray(v) ? v : [v];
    }
    return out;
  }

  /**
   * Creates a schedule; resolves with its handle.
   * @throws ScheduleAlreadyRunning when the id is taken; ConfigError `ERR_INVALID_OPTION` for a bad spec or action
   */
  async create<A extends ScheduleOptionsAction>(options: ScheduleOptions<A>): Promise<ScheduleHandle> {
    if (!options || typeof options.scheduleId !== 'string' || !options.scheduleId) throw invalidOption('scheduleId', 'is required.');
    const schedule = await this.encodeSchedule(options.scheduleId, options);
    const workflowId = schedule.action.startWorkflow.workflowId;
    const req = {
      namespace: this.namespace,
      identity: this.workflowClient.identity,
      requestId: randomUUID(),
      scheduleId: options.scheduleId,
      schedule,
      memo: options.memo ? { fields: await this.encodeMemo(options.memo, workflowId) } : undefined,
      searchAttributes: options.searchAttributes ? { indexedFields: this.encodeSearchAttributes(options.searchAttributes) } : undefined,
      initialPatch: {
        triggerImmediately: options.state?.triggerImmediately
          ? { overlapPolicy: temporal.api.enums.v1.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }
          : undefined,
        backfillRequest: options.state?.backfill?.map((b, i) => backfillRequest(b, `state.backfill[${i}]`)),
      },
    };
    try {
      await this.svc.createSchedule(req as never);
    } catch (err) {
      this.rethrow(err, options.scheduleId);
    }
    return this.getHandle(options.scheduleId);
  }

  /** A handle to an existing schedule (no call is made). */
  getHandle(scheduleId: string): ScheduleHandle {
    return new ScheduleHandle(this, scheduleId);
  }

  /** Lists the namespace's schedules, page by page. */
  async *list(options: ScheduleListOptions = {}): AsyncIterable<ScheduleSummary> {
    let token: Uint8Array | undefined;
    do {
      let res;
      try {
        res = await this.svc.listSchedules({ namespace: this.namespace, maximumPageSize: options.pageSize, query: options.query, nextPageToken: token });
      } catch (err) {
        this.rethrow(err, undefined);
      }
      for (const raw of res.schedules ?? []) {
        yield {
          scheduleId: raw.scheduleId ?? '',
          spec: decodeScheduleSpec(raw.info?.spec ?? {}),
          action: raw.info?.workflowType ? { type: 'startWorkflow', workflowType: raw.info.workflowType.name ?? '' } : undefined,
          memo: await this.workflowClient.memo(raw.memo?.fields as never, raw.scheduleId ?? ''),
          searchAttributes: this.decodeSearchAttributes(raw.searchAttributes?.indexedFields as never),
          state: { paused: raw.info?.paused === true, note: raw.info?.notes || undefined },
          info: {
            recentActions: decodeRecentActions(raw.info?.recentActions as never),
            nextActionTimes: (raw.info?.futureActionTimes ?? []).map((t) => dateOf(t as never)!),
          },
        };
      }
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
  }
}

function backfillRequest(b: Backfill, option: string) {
  if (!(b?.start instanceof Date) || !(b.end instanceof Date)) throw invalidOption(option, 'needs `start` and `end` Dates.');
  return { startTime: tsOf(b.start), endTime: tsOf(b.end), overlapPolicy: encodeOverlap(b.overlap, `${option}.overlap`) };
}

/** One schedule: describe, update, trigger, backfill, pause, unpause, delete. */
export class ScheduleHandle {
  constructor(
    readonly client: ScheduleClient,
    readonly scheduleId: string,
  ) {}

  private get svc() {
    return this.client.workflowClient.connection.workflowService;
  }

  private async patch(patch: object): Promise<void> {
    try {
      await this.svc.patchSchedule({
        namespace: this.client.namespace,
        scheduleId: this.scheduleId,
        identity: this.client.workflowClient.identity,
        requestId: randomUUID(),
        patch,
      });
    } catch (err) {
      this.client.rethrow(err, this.scheduleId);
    }
  }

  /** The schedule's spec, action (arguments decoded), policies, state and info. @throws ScheduleNotFoundError */
  async describe(): Promise<ScheduleDescription> {
    let raw;
    try {
      raw = await this.svc.describeSchedule({ namespace: this.client.namespace, scheduleId: this.scheduleId });
    } catch (err) {
      this.client.rethrow(err, this.scheduleId);
    }
    const wc = this.client.workflowClient;
    const start = raw.schedule?.action?.startWorkflow ?? {};
    const workflowId = start.workflowId ?? '';
    const decoded = (await wc.decode((start.input?.payloads ?? []) as Payload[], wc.context(workflowId))) ?? [];
    const st = raw.schedule?.state ?? {};
    return {
      scheduleId: this.scheduleId,
      spec: decodeScheduleSpec(raw.schedule?.spec ?? {}),
      action: {
        type: 'startWorkflow',
        workflowId,
        workflowType: start.workflowType?.name ?? '',
        taskQueue: start.taskQueue?.name ?? '',
        args: decoded.map((p) => wc.payloadConverter.fromPayload(p)),
        memo: await wc.memo(start.memo?.fields as never, workflowId),
        searchAttributes: this.client.decodeSearchAttributes(start.searchAttributes?.indexedFields as never),
        workflowExecutionTimeout: msOf(start.workflowExecutionTimeout as never),
        workflowRunTimeout: msOf(start.workflowRunTimeout as never),
        workflowTaskTimeout: msOf(start.workflowTaskTimeout as never),
      },
      policies: {
        overlap: decodeOverlap(raw.schedule?.policies?.overlapPolicy),
        catchupWindow: msOf(raw.schedule?.policies?.catchupWindow as never) ?? 60_000,
        pauseOnFailure: raw.schedule?.policies?.pauseOnFailure === true,
      },
      memo: await wc.memo(raw.memo?.fields as never, workflowId),
      searchAttributes: this.client.decodeSearchAttributes(raw.searchAttributes?.indexedFields as never),
      state: { paused: st.paused === true, note: st.notes || undefined, remainingActions: st.limitedActions ? Number(st.remainingActions ?? 0) : undefined },
      info: {
        recentActions: decodeRecentActions(raw.info?.recentActions as never),
        nextActionTimes: (raw.info?.futureActionTimes ?? []).map((t) => dateOf(t as never)!),
        numActionsTaken: Number(raw.info?.actionCount ?? 0),
        numActionsMissedCatchupWindow: Number(raw.info?.missedCatchupWindow ?? 0),
        numActionsSkippedOverlap: Number(raw.info?.overlapSkipped ?? 0),
        createdAt: dateOf(raw.info?.createTime as never)!,
        lastUpdatedAt: dateOf(raw.info?.updateTime as never),
        runningActions: (raw.info?.runningWorkflows ?? []).map((w) => ({
          type: 'startWorkflow' as const,
          workflow: { workflowId: w.workflowId ?? '', firstExecutionRunId: w.runId ?? '' },
        })),
      },
      raw,
    };
  }

  /** Describes, passes the description to `updateFn`, and writes what it returns (the action's headers are kept). */
  async update<A extends ScheduleOptionsAction>(updateFn: (previous: ScheduleDescription) => ScheduleUpdateOptions<A>): Promise<void> {
    const current = await this.describe();
    const header = (current.raw.schedule?.action?.startWorkflow?.header?.fields ?? {}) as Record<string, Payload>;
    const updated = updateFn(current);
    const schedule = await this.client.encodeSchedule(this.scheduleId, updated, header);
    try {
      await this.svc.updateSchedule({
        namespace: this.client.namespace,
        scheduleId: this.scheduleId,
        schedule: schedule as never,
        identity: this.client.workflowClient.identity,
        requestId: randomUUID(),
        searchAttributes: updated.searchAttributes ? { indexedFields: this.client.encodeSearchAttributes(updated.searchAttributes) as never } : undefined,
      });
    } catch (err) {
      this.client.rethrow(err, this.scheduleId);
    }
  }

  /** Starts the action now (even while paused); overlap ALLOW_ALL unless given, as the official client does. */
  async trigger(overlap?: ScheduleOverlapPolicy): Promise<void> {
    await this.patch({
      triggerImmediately: { overlapPolicy: encodeOverlap(overlap, 'overlap') ?? temporal.api.enums.v1.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL },
    });
  }

  /** Takes the actions of the spec's times within each period, as if they had happened. */
  async backfill(options: Backfill | Backfill[]): Promise<void> {
    const list = Array.isArray(options) ? options : [options];
    await this.patch({ backfillRequest: list.map((b, i) => backfillRequest(b, `backfill[${i}]`)) });
  }

  async pause(note?: string): Promise<void> {
    await this.patch({ pause: note ?? 'Paused via Bastion client' });
  }

  async unpause(note?: string): Promise<void> {
    await this.patch({ unpause: note ?? 'Unpaused via Bastion client' });
  }

  async delete(): Promise<void> {
    try {
      await this.svc.deleteSchedule({ namespace: this.client.namespace, scheduleId: this.scheduleId, identity: this.client.workflowClient.identity });
    } catch (err) {
      this.client.rethrow(err, this.scheduleId);
    }
  }
}
