/**
 * Update handlers inside a run: `doUpdate` jobs are validated (read-only, only for new
 * requests; replay of an accepted update skips the validator), accepted, run, and
 * answered, as the official SDK does. A rejection (validator error, undecodable
 * arguments, no handler by the end of the activation) never reaches history. A handler's
 * Temporal failure fails the update; any other error fails the workflow task.
 */
import type { DoUpdateJob, Failure, Payload, TaggedCommand, UpdateMessage } from '../../common/activation-protocol';
import { TemporalFailure, ApplicationFailure, errorToFailure, type PayloadConverter } from '../../converter';
import { sharedAsyncStorage, type AsyncStorage } from './async-storage';

/** What happens to a handler still running when the workflow completes (the official SDK's values). */
export const HandlerUnfinishedPolicy = {
  /** Log a warning naming the unfinished handlers (the default). */
  WARN_AND_ABANDON: 'WARN_AND_ABANDON',
  /** Abandon them silently. */
  ABANDON: 'ABANDON',
} as const;
export type HandlerUnfinishedPolicy = (typeof HandlerUnfinishedPolicy)[keyof typeof HandlerUnfinishedPolicy];

/** The running update, as `currentUpdateInfo()` gives it. */
export interface UpdateInfo {
  id: string;
  name: string;
}

export interface UpdateHandlerEntry {
  handler: (...args: any[]) => unknown;
  validator?: (...args: any[]) => void;
  unfinishedPolicy: HandlerUnfinishedPolicy;
}

/** What the runner needs from its activator. */
export interface UpdateHost {
  readonly payloadConverter: PayloadConverter;
  pushTagged(c: TaggedCommand): void;
  failTask(err: unknown): void;
}

function storage(): AsyncStorage<UpdateInfo> | undefined {
  return sharedAsyncStorage<UpdateInfo>('update-info');
}

/** The update whose handler (or validator) is running, followed through awaits. */
export function currentUpdateInfoOf(): UpdateInfo | undefined {
  return storage()?.getStore();
}

const PROTOCOL_MESSAGE = 14;

export class UpdateRunner {
  readonly handlers = new Map<string, UpdateHandlerEntry>();
  readonly inProgress = new Map<string, { id: string; name: string; unfinishedPolicy: HandlerUnfinishedPolicy }>();
  private buffered: DoUpdateJob[] = [];
  private messages: UpdateMessage[] = [];

  constructor(private readonly host: UpdateHost) {}

  /** Handles a `doUpdate` job; buffered until its handler is set (or the activation ends). */
  doUpdate(job: DoUpdateJob): void {
    const entry = this.handlers.get(job.name);
    if (!entry) {
      this.buffered.push(job);
      return;
    }
    const pc = this.host.payloadConverter;
    const info: UpdateInfo = { id: job.updateId, name: job.name };
    const run = <R>(fn: () => R): R => {
      const s = storage();
      return s ? s.run(info, fn) : fn();
    };
    let args: unknown[];
    try {
      run(() => {
        if (job.runValidator && entry.validator) entry.validator(...job.args.map((p) => pc.fromPayload(p)));
      });
      // Decoded again, so the handler never sees what the validator may have changed.
      args = job.args.map((p) => pc.fromPayload(p));
    } catch (err) {
      this.reject(job, err);
      return;
    }
    this.answer(job, { accepted: true }, `${job.protocolInstanceId}/accept`);
    this.inProgress.set(job.updateId, { id: job.updateId, name: job.name, unfinishedPolicy: entry.unfinishedPolicy });
    const settle = (completed: { result?: Payload; failure?: Failure }) => {
      this.inProgress.delete(job.updateId);
      this.answer(job, { completed }, `${job.protocolInstanceId}/complete`);
    };
    run(() => Promise.resolve().then(() => entry.handler(...args))).then(
      (result) => settle({ result: pc.toPayload(result) }),
      (err) => {
        if (err instanceof TemporalFailure) settle({ failure: errorToFailure(err, pc) });
        else {
          this.inProgress.delete(job.updateId);
          this.host.failTask(err);
        }
      },
    );
  }

  /** Runs buffered updates whose handler is now set. */
  flushBuffered(): void {
    const ready = this.buffered.filter((j) => this.handlers.has(j.name));
    if (ready.length === 0) return;
    this.buffered = this.buffered.filter((j) => !this.handlers.has(j.name));
    for (const j of ready) this.doUpdate(j);
  }

  /** At the end of an activation: updates with no handler are rejected, as the official SDK does. */
  rejectBuffered(): void {
    const left = this.buffered;
    this.buffered = [];
    for (const j of left) this.reject(j, ApplicationFailure.nonRetryable(`No registered handler for update: ${j.name}`));
  }

  takeMessages(): UpdateMessage[] | undefined {
    if (this.messages.length === 0) return undefined;
    const out = this.messages;
    this.messages = [];
    return out;
  }

  /** The official SDK's warning (TMPRL1102) for update handlers still running at completion. */
  unfinishedWarning(): string | undefined {
    const warnable = [...this.inProgress.values()].filter((u) => u.unfinishedPolicy === HandlerUnfinishedPolicy.WARN_AND_ABANDON);
    if (warnable.length === 0) return undefined;
    return (
      '[TMPRL1102] Workflow finished while an update handler was still running. This may have interrupted work that the update handler was doing, ' +
      "and the client that sent the update will receive a 'workflow execution already completed' RPCError instead of the update result. " +
      'You can wait for all update and signal handlers to complete by using `await workflow.condition(workflow.allHandlersFinished)`. ' +
      'Alternatively, if both you and the clients sending the update are okay with interrupting running handlers when the workflow finishes, ' +
      'and causing clients to receive errors, then you can disable this warning by passing an option when setting the handler: ' +
      '`workflow.setHandler(myUpdate, myUpdateHandler, {unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON});`. ' +
      `The following updates were unfinished (and warnings were not disabled for their handler): ${JSON.stringify(warnable.map((u) => ({ name: u.name, id: u.id })))}`
    );
  }

  private reject(job: DoUpdateJob, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.answer(job, { rejected: errorToFailure(e, this.host.payloadConverter) }, `${job.protocolInstanceId}/reject`);
  }

  private answer(job: DoUpdateJob, what: Omit<UpdateMessage, 'protocolInstanceId' | 'messageId'>, messageId: string): void {
    this.messages.push({ protocolInstanceId: job.protocolInstanceId, messageId, ...what });
    if (!what.rejected) this.host.pushTagged({ command: { commandType: PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId } } });
  }
}
