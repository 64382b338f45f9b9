/**
 * Workflow sandboxes in worker threads, so workflow code runs beside the worker's main
 * thread (which polls, runs activities and talks gRPC) and a second core is used. Each
 * run's sandbox lives in one thread (assigned round robin); an activation is one round
 * trip.
 */
import * as path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { IllegalStateError, WorkflowError, type ErrorCode } from '../../common/errors';
import type { SandboxLogger } from './context-globals';

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface ThreadState {
  thread: Thread;
  pending: Map<number, Pending>;
  dead?: Error;
}

function rebuildError(e: { name?: string; message: string; stack?: string; code?: string }): Error {
  const err = e.code?.startsWith('ERR_WORKFLOW') ? new WorkflowError(e.code as ErrorCode, e.message) : Object.assign(new Error(e.message), { code: e.code });
  if (e.name && !(err instanceof WorkflowError)) Object.defineProperty(err, 'name', { value: e.name });
  if (e.stack) err.stack = e.stack;
  return err;
}

/** A sandbox in a thread; `call` and `activate` are asynchronous. */
export class ThreadSandbox {
  /** The last unhandled rejection the thread reported for this sandbox. */
  unhandledRejection?: Error;
  private disposed = false;

  constructor(
    private readonly owner: ThreadSandboxes,
    private readonly t: ThreadState,
    readonly sid: number,
  ) {}

  call(method: string, arg: unknown, timeoutMs: number): Promise<unknown> {
    return this.owner.request(this.t, { op: 'call', sid: this.sid, method, arg, timeoutMs });
  }

  /** activate + settle conditions + conclude, in the thread. */
  async activate(activation: unknown, timeoutMs: number): Promise<unknown> {
    const reply = (await this.owner.request(this.t, { op: 'activate', sid: this.sid, arg: activation, timeoutMs }, true)) as {
      value: unknown;
      rejection?: { message: string; stack?: string };
    };
    if (reply.rejection) this.unhandledRejection = rebuildError(reply.rejection);
    return reply.value;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.t.dead) this.t.thread.postMessage({ op: 'dispose', sid: this.sid });
  }
}

export class ThreadSandboxes {
  private readonly threads: ThreadState[] = [];
  private nextThread = 0;
  private nextSid = 1;
  private nextId = 1;
  private closed = false;

  /**
   * @param encodeCommonAttributes see `WorkflowSandboxesOptions.encodeCommonAttributes`
   * @param reuseContexts see `WorkflowSandboxesOptions.reuseContexts`
   */
  constructor(
    private readonly code: string,
    size: number,
    private readonly logger: SandboxLogger,
    private readonly encodeCommonAttributes = false,
    private readonly reuseContexts = true,
  ) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn(i));
  }

  /**
   * Starts thread `slot`. If it dies, its pending calls fail (their runs leave the cache
   * and are rebuilt) and a fresh thread takes the slot for new sandboxes.
   */
  private spawn(slot: number): ThreadState {
    const thread = new Thread(path.join(__dirname, 'thread-entry.js'), {
      workerData: { code: this.code, encodeCommonAttributes: this.encodeCommonAttributes, reuseContexts: this.reuseContexts },
    });
    const t: ThreadState = { thread, pending: new Map() };
    thread.on(
      'message',
      (m: { id?: number; op?: string; ok?: boolean; value?: unknown; error?: { message: string }; level?: string; message?: string; meta?: object }) => {
        if (m.op === 'log') {
          const level = (m.level ?? 'info') as 'debug' | 'info' | 'warn' | 'error';
          (this.logger[level] ?? this.logger.info)(m.message ?? '', m.meta as Record<string, unknown> | undefined);
          return;
        }
        const p = t.pending.get(m.id!);
        if (!p) return;
        t.pending.delete(m.id!);
        if (m.ok) p.resolve(m);
        else p.reject(rebuildError(m.error!));
      },
    );
    const fail = (err: Error) => {
      if (t.dead) return;
      t.dead = err;
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
      if (!this.closed) {
        this.logger.error('a workflow sandbox thread died; starting a new one', { error: err.message });
        this.threads[slot] = this.spawn(slot);
      }
    };
    thread.on('error', (err) => fail(err));
    thread.on('exit', (code) => fail(new IllegalStateError('ERR_ILLEGAL_STATE', `a workflow sandbox thread exited (code ${code})`)));
    thread.unref();
    return t;
  }

  /** @internal */
  request(t: ThreadState, message: object, whole = false): Promise<unknown> {
    if (t.dead) return Promise.reject(t.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      t.pending.set(id, { resolve: (m) => resolve(whole ? m : (m as { value: unknown }).value), reject });
      t.thread.postMessage({ ...message, id });
    });
  }

  create(): ThreadSandbox {
    if (this.closed) throw new IllegalStateError('ERR_ILLEGAL_STATE', 'the workflow sandbox threads were closed');
    const t = this.threads[this.nextThread++ % this.threads.length]!;
    const sid = this.nextSid++;
    t.thread.postMessage({ op: 'create', sid });
    return new ThreadSandbox(this, t, sid);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.thread.terminate()));
  }
}
