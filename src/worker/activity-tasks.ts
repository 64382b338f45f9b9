/**
 * Activity tasks on the worker: running the activity function with its Context,
 * throttled heartbeats that carry cancellation back, and the answer to the server.
 * Shutdown: activities see `workerShutdownSignal` at once; after the grace time they
 * are cancelled with WORKER_SHUTDOWN; after the force time the worker stops waiting.
 */
import type { Connection } from '../connection';
import { Context, type ActivityInfo } from '../activity/context';
import {
  ApplicationFailure,
  CancelledFailure,
  ensureApplicationFailure,
  type DataConverter,
  type Payload,
  type PayloadConverter,
  TemporalFailure,
} from '../converter';
import { codecTransform, transformFailure, type CodecContext, type PayloadCodec, type PayloadsTransform } from '../converter/codec-chain';
import type { LocalActivityOutcome, LocalActivityRun } from '../engine/local-activities';
import type { LocalActivityRequest } from '../common/activation-protocol';
import { runLocalActivity } from './local-activity-runner';
import { performance } from 'node:perf_hooks';

/** A Temporal failure as is; anything else as an ApplicationFailure (as the official SDK converts). */
function ensureFailure(err: unknown): TemporalFailure {
  return err instanceof TemporalFailure ? err : ensureApplicationFailure(err);
}
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, CompiledWorkerOptions } from './worker-options';
import { activityLogFields, withLogFields } from '../common/log-fields';

const NOT_FOUND = 5;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
/**
 * How many times an activity's outcome is sent when the call times out or finds the
 * server unreachable (each time after the connection's own retries): the result of long
 * work is worth keeping, and once the attempt has timed out the server answers NOT_FOUND.
 */
const OUTCOME_DELIVERY_ROUNDS = 10;

interface Running {
  ctx: Context;
  done: Promise<void>;
  /** Called when the worker gives up waiting (force time): reports the attempt failed. */
  abandon(): Promise<void>;
}

function ms(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!d) return undefined;
  const s = typeof d.seconds === 'number' ? d.seconds : Number(d.seconds ?? 0);
  const v = s * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  return v > 0 ? v : undefined;
}

export class ActivityTaskProcessor {
  readonly running = new Map<string, Running>();
  private readonly pc: PayloadConverter;
  private readonly dc: DataConverter;
  private readonly codecs: readonly PayloadCodec[];
  private readonly encode: PayloadsTransform;
  private readonly decode: PayloadsTransform;
  private readonly shutdownController = new AbortController();

  constructor(
    private readonly o: CompiledWorkerOptions,
    private readonly connection: Connection,
  ) {
    this.dc = o.dataConverter;
    this.pc = this.dc.payloadConverter;
    this.codecs = this.dc.payloadCodecs ?? [];
    this.encode = codecTransform(this.codecs, 'encode');
    this.decode = codecTransform(this.codecs, 'decode');
  }

  /** The activity's failure for the server: converted, then through the codecs. */
  private async encodeFailure(err: unknown, ctx: CodecContext) {
    const failure = this.dc.failureConverter.errorToFailure(ensureFailure(err), this.pc);
    return this.codecs.length ? transformFailure(this.encode, failure, ctx) : failure;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Tells running activities that the worker is shutting down. */
  notifyShutdown(): void {
    this.shutdownController.abort();
  }

  /** Cancels every running activity (grace time over). */
  cancelAll(): void {
    for (const r of this.running.values()) r.ctx.cancel('WORKER_SHUTDOWN');
  }

  /** Reports every still-running activity as failed and stops waiting for it (force time over). */
  async abandonAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.abandon()));
  }

  async handle(task: Record<string, any>): Promise<void> {
    const key = Buffer.from(task.taskToken).toString('base64');
    const codecCtx: CodecContext = {
      type: 'activity',
      namespace: task.workflowNamespace || this.o.namespace,
      workflowId: task.workflowExecution?.workflowId,
      activityId: task.activityId,
      isLocal: false,
    };
    // Codecs run before the activity sees its input and heartbeat details.
    let input: Payload[] = [];
    let heartbeatDetails: Payload[] | undefined;
    let decodeError: unknown;
    try {
      [input, heartbeatDetails] = await Promise.all([
        this.decode(task.input?.payloads ?? [], codecCtx).then((p) => p ?? []),
        this.decode(task.heartbeatDetails?.payloads, codecCtx),
      ]);
    } catch (err) {
      decodeError = err;
    }
    const info = this.info(task, heartbeatDetails?.[0]);
    const metrics = this.o.metrics;
    const began = metrics.enabled ? performance.now() : 0;
    if (metrics.enabled && info.startedTimestampMs > 0 && info.currentAttemptScheduledTimestampMs > 0)
      metrics.activityScheduleToStart(info.startedTimestampMs - info.currentAttemptScheduledTimestampMs);
    const svc = this.connection.workflowService;
    let settled = false;
    let lastDetails: unknown[] | undefined;
    const heartbeater = this.heartbeater(
      task,
      info,
      codecCtx,
      () => settled,
      (d) => (lastDetails = d),
      (reason) => ctx.cancel(reason),
    );
    // The activity's records (its own, through `Context.log`, and the worker's about it) carry its fields.
    const log = withLogFields(this.o.logger, activityLogFields(info));
    const ctx = new Context(info, { heartbeat: heartbeater.heartbeat, log }, this.shutdownController.signal);
    const respond = async (outcome: { ok: true; result: unknown } | { ok: false; error: unknown }) => {
      if (settled) return;
      settled = true;
      heartbeater.stop();
      if (metrics.enabled) {
        const kind = outcome.ok ? 'completed' : outcome.error instanceof CancelledFailure ? 'cancelled' : 'failed';
        metrics.activityEnded(
          info.workflowType ?? '',
          info.activityType ?? '',
          kind,
          performance.now() - began,
          info.scheduledTimestampMs > 0 ? Date.now() - info.scheduledTimestampMs : undefined,
        );
      }
      try {
        if (outcome.ok) {
          let result: Payload[];
          try {
            result = (await this.encode([this.pc.toPayload(outcome.result)], codecCtx))!;
          } catch (err) {
            // Report the attempt failed (retryable) rather than leave it to time out; never send the value in clear.
            const failure = ApplicationFailure.create({
              message: `Activity ${info.activityType}: a payload codec could not encode its result: ${(err as Error)?.message}`,
              type: 'PayloadCodecError',
            });
            await this.deliver(
              () =>
                svc.respondActivityTaskFailed({
                  taskToken: task.taskToken,
                  failure: this.dc.failureConverter.errorToFailure(failure, this.pc) as never,
                  identity: this.o.identity,
                  namespace: this.o.namespace,
                }),
              info.activityId,
            );
            return;
          }
          await this.deliver(
            () =>
              svc.respondActivityTaskCompleted({
                taskToken: task.taskToken,
                result: { payloads: result } as never,
                identity: this.o.identity,
                namespace: this.o.namespace,
              }),
            info.activityId,
          );
        } else if (outcome.error instanceof CancelledFailure && ctx.cancellationReason === 'CANCELLED') {
          await this.deliver(
            () =>
              svc.respondActivityTaskCanceled({ taskToken: task.taskToken, details: { payloads: [] }, identity: this.o.identity, namespace: this.o.namespace }),
            info.activityId,
          );
        } else {
          const failure = (await this.encodeFailure(outcome.error, codecCtx)) as never;
          const lastHeartbeatDetails = lastDetails
            ? ({
                payloads: await this.encode(
                  lastDetails.map((d) => this.pc.toPayload(d)),
                  codecCtx,
                ),
              } as never)
            : undefined;
          await this.deliver(
            () =>
              svc.respondActivityTaskFailed({
                taskToken: task.taskToken,
                failure,
                lastHeartbeatDetails,
                identity: this.o.identity,
                namespace: this.o.namespace,
              }),
            info.activityId,
          );
        }
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === NOT_FOUND)
          log.debug('activity result not accepted: the attempt is gone (timed out, cancelled or the workflow closed)', {
            activityId: info.activityId,
          });
        else log.warn('could not report an activity result', { activityId: info.activityId, error: (err as Error).message });
      }
    };
    const done = (async () => {
      const fn = this.o.activities[info.activityType];
      if (!fn) {
        const known = Object.keys(this.o.activities);
        await respond({
          ok: false,
          error: ApplicationFailure.create({
            message: `Activity function ${info.activityType} is not registered on this worker (task queue ${this.o.taskQueue}). Registered activities: [${known.join(', ')}].`,
            type: 'NotFoundError',
            nonRetryable: false,
          }),
        });
        return;
      }
      let args: unknown[];
      try {
        if (decodeError) throw decodeError;
        args = input.map((p) => this.pc.fromPayload(p));
      } catch (err) {
        await respond({
          ok: false,
          error: ApplicationFailure.create({
            message: `Activity ${info.activityType}: its input could not be decoded: ${(err as Error).message}`,
            type: 'PayloadDecodeError',
            nonRetryable: true,
          }),
        });
        return;
      }
      try {
        const execute = this.intercepted(ctx, fn);
        const result = await ctx.run(() => execute({ args, headers: (task.header?.fields ?? {}) as Record<string, Payload> }));
        await respond({ ok: true, result });
      } catch (error) {
        await respond({ ok: false, error });
      }
    })();
    const running: Running = {
      ctx,
      done,
      abandon: () => respond({ ok: false, error: new CancelledFailure('WORKER_SHUTDOWN: the worker stopped waiting for this activity (shutdownForceTime)') }),
    };
    this.running.set(key, running);
    try {
      await done;
    } finally {
      this.running.delete(key);
    }
  }

  /** `fn` inside the worker's activity inbound interceptors (the first in the list is outermost). */
  private intercepted(ctx: Context, fn: (...args: unknown[]) => unknown): (input: ActivityExecuteInput) => Promise<unknown> {
    const inbound = this.o.activityInterceptors.map((f) => f(ctx).inbound).filter((x): x is ActivityInboundCallsInterceptor => !!x);
    let execute = (input: ActivityExecuteInput) => Promise.resolve(fn(...input.args));
    for (let i = inbound.length - 1; i >= 0; i--) {
      const ic = inbound[i]!;
      const inner = execute;
      if (ic.execute) execute = (input) => ic.execute!(input, inner);
    }
    return execute;
  }

  /** Runs one schedule of a local activity for a workflow task (see local-activity-runner.ts). */
  runLocal(req: LocalActivityRequest, run: LocalActivityRun, signal?: AbortSignal): Promise<LocalActivityOutcome> {
    return runLocalActivity(
      { options: this.o, dataConverter: this.dc, shutdownSignal: this.shutdownController.signal, intercepted: (ctx, fn) => this.intercepted(ctx, fn) },
      req,
      run,
      signal,
    );
  }

  private info(task: Record<string, any>, details: Payload | undefined): ActivityInfo {
    const t = (x: { seconds?: unknown; nanos?: number } | undefined) => (x ? Number(x.seconds ?? 0) * 1000 + Math.floor((x.nanos ?? 0) / 1e6) : 0);
    return {
      taskToken: task.taskToken,
      activityId: task.activityId,
      activityType: task.activityType?.name,
      workflowExecution: { workflowId: task.workflowExecution?.workflowId, runId: task.workflowExecution?.runId },
      workflowType: task.workflowType?.name,
      workflowNamespace: task.workflowNamespace,
      activityNamespace: this.o.namespace,
      taskQueue: this.o.taskQueue,
      attempt: Number(task.attempt ?? 1),
      isLocal: false,
      heartbeatDetails: details ? this.pc.fromPayload(details) : undefined,
      heartbeatTimeoutMs: ms(task.heartbeatTimeout),
      startToCloseTimeoutMs: ms(task.startToCloseTimeout) ?? 0,
      scheduleToCloseTimeoutMs: ms(task.scheduleToCloseTimeout),
      scheduledTimestampMs: t(task.scheduledTime),
      currentAttemptScheduledTimestampMs: t(task.currentAttemptScheduledTime),
      startedTimestampMs: t(task.startedTime),
    };
  }

  /**
   * Heartbeats go out at most once per interval (0.8 × heartbeat timeout, else 30 s,
   * at most 60 s): the first at once, later ones coalesced to the latest details.
   */
  /** Sends an activity's outcome, again after DEADLINE_EXCEEDED or UNAVAILABLE (see {@link OUTCOME_DELIVERY_ROUNDS}). */
  private async deliver(send: () => Promise<unknown>, activityId: string): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await send();
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if ((code !== DEADLINE_EXCEEDED && code !== UNAVAILABLE) || round >= OUTCOME_DELIVERY_ROUNDS || this.connection.state !== 'open') throw err;
        this.o.logger.warn('reporting an activity outcome failed; sending it again', { activityId, round, error: (err as Error).message });
        await this.connection.waitForReady({ timeoutMs: this.connection.options.retry.maxIntervalMs });
      }
    }
  }

  private heartbeater(
    task: Record<string, any>,
    info: ActivityInfo,
    codecCtx: CodecContext,
    isSettled: () => boolean,
    remember: (d: unknown[]) => void,
    cancel: (reason: 'CANCELLED' | 'NOT_FOUND') => void,
  ) {
    const interval = Math.min(60_000, info.heartbeatTimeoutMs ? info.heartbeatTimeoutMs * 0.8 : 30_000);
    let timer: NodeJS.Timeout | undefined;
    let pending: unknown[] | undefined;
    let lastSent = 0;
    const send = async (details: unknown[]) => {
      lastSent = Date.now();
      try {
        const r = await this.connection.workflowService.recordActivityTaskHeartbeat({
          taskToken: task.taskToken,
          details: {
            payloads: await this.encode(
              details.map((d) => this.pc.toPayload(d)),
              codecCtx,
            ),
          } as never,
          identity: this.o.identity,
          namespace: this.o.namespace,
        });
        if (r.cancelRequested && !isSettled()) cancel('CANCELLED');
      } catch (err) {
        if ((err as { code?: number }).code === NOT_FOUND && !isSettled()) cancel('NOT_FOUND');
      }
    };
    return {
      heartbeat: (details: unknown[]) => {
        if (isSettled()) return;
        remember(details);
        const wait = lastSent + interval - Date.now();
        if (wait <= 0 && !timer) {
          void send(details);
          return;
        }
        pending = details;
        timer ??= setTimeout(
          () => {
            timer = undefined;
            if (pending && !isSettled()) void send(pending);
            pending = undefined;
          },
          Math.max(0, wait),
        );
      },
      stop: () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
      },
    };
  }
}
