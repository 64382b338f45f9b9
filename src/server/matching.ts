/**
 * Task queues: a FIFO backlog of tasks and a FIFO of waiting pollers per
 * (namespace, kind, name). A task reaches a waiting poller at once; a poll with no task
 * waits until one arrives or its hold time ends. Each task goes to exactly one poller:
 * `start` turns it into a response (or null when the task went stale, e.g. the run
 * closed), synchronously, so no other poller can see it in between.
 */

export type QueueKind = 'workflow' | 'activity';

export interface TaskRef {
  /** Run id of the execution the task belongs to. */
  runId: string;
  /** Kind of task: a workflow task, a query, or an activity attempt. */
  type: 'wft' | 'query' | 'activity';
  scheduledEventId: number;
  attempt: number;
  queryId?: string;
}

export interface PollerInfo {
  identity: string;
  lastAccessTimeMs: number;
  buildId?: string;
}

interface Waiter {
  request: PollRequestInfo;
  resolve(response: object | null): void;
  done: boolean;
}

export interface PollRequestInfo {
  identity: string;
  queue: string;
  namespace: string;
  raw: Record<string, any>;
}

/** Starts a task for a poller; returns the poll response, or null if the task is stale. */
export type TaskStarter = (kind: QueueKind, task: TaskRef, poll: PollRequestInfo) => object | null;

class TaskQueue {
  readonly backlog: TaskRef[] = [];
  readonly waiters: Waiter[] = [];
  readonly pollers = new Map<string, PollerInfo>();
}

/** Pollers not seen for this long drop out of DescribeTaskQueue, as in Temporal. */
const POLLER_TTL_MS = 5 * 60_000;

/** Told of each task handed to a poller and of each backlog size change (the dev server's metrics). */
export interface MatchingObserver {
  dispatched(namespace: string, kind: QueueKind, name: string): void;
  backlog(namespace: string, kind: QueueKind, name: string, size: number): void;
}

export class Matching {
  private readonly queues = new Map<string, TaskQueue>();
  private closed = false;
  observer?: MatchingObserver;

  constructor(
    private readonly start: TaskStarter,
    /** The server clock (poller access times). */
    private readonly now: () => number = Date.now,
  ) {}

  private queue(namespace: string, kind: QueueKind, name: string): TaskQueue {
    const key = `${namespace}\u0000${kind}\u0000${name}`;
    let q = this.queues.get(key);
    if (!q) {
      q = new TaskQueue();
      this.queues.set(key, q);
    }
    return q;
  }

  /** Offers a task: hands it to the first live waiting poller, else queues it. */
  addTask(namespace: string, kind: QueueKind, name: string, task: TaskRef): void {
    const q = this.queue(namespace, kind, name);
    while (q.waiters.length > 0) {
      const w = q.waiters[0]!;
      if (w.done) {
        q.waiters.shift();
        continue;
      }
      let response: object | null;
      try {
        response = this.start(kind, task, w.request);
      } catch (err) {
        q.backlog.push(task); // not started (the change was rolled back): the next poll takes it
        throw err;
      }
      if (response === null) return; // stale: nobody needs it, and the poller keeps waiting
      q.waiters.shift();
      w.resolve(response);
      this.observer?.dispatched(namespace, kind, name);
      return;
    }
    q.backlog.push(task);
    this.observer?.backlog(namespace, kind, name, q.backlog.length);
  }

  /**
   * A long poll. Resolves with a response, or with null after `holdMs` with no task.
   * `onCancel` registration lets the caller drop the wait when the client goes away.
   */
  poll(kind: QueueKind, request: PollRequestInfo, holdMs: number, onCancel: (cb: () => void) => void): Promise<object | null> {
    const q = this.queue(request.namespace, kind, request.queue);
    this.seen(q, request);
    while (q.backlog.length > 0) {
      const task = q.backlog.shift()!;
      let response: object | null;
      try {
        response = this.start(kind, task, request);
      } catch (err) {
        q.backlog.unshift(task); // not started (the change was rolled back): it stays first in line
        throw err;
      }
      if (response !== null) {
        this.observer?.dispatched(request.namespace, kind, request.queue);
        this.observer?.backlog(request.namespace, kind, request.queue, q.backlog.length);
        return Promise.resolve(response);
      }
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        request,
        done: false,
        resolve: (response) => {
          if (waiter.done) return;
          waiter.done = true;
          clearTimeout(timer);
          const i = q.waiters.indexOf(waiter);
          if (i >= 0) q.waiters.splice(i, 1);
          this.seen(q, request);
          resolve(response);
        },
      };
      const timer = setTimeout(() => waiter.resolve(null), Math.max(0, holdMs));
      q.waiters.push(waiter);
      onCancel(() => waiter.resolve(null));
    });
  }

  private seen(q: TaskQueue, request: PollRequestInfo): void {
    q.pollers.set(request.identity, { identity: request.identity, lastAccessTimeMs: this.now(), buildId: request.raw.workerVersionCapabilities?.buildId });
  }

  /** Pollers seen on a queue within the last five minutes. */
  pollers(namespace: string, kind: QueueKind, name: string): PollerInfo[] {
    const q = this.queues.get(`${namespace}\u0000${kind}\u0000${name}`);
    if (!q) return [];
    const now = this.now();
    for (const [id, p] of q.pollers)
      if (now - p.lastAccessTimeMs > POLLER_TTL_MS && !q.waiters.some((w) => !w.done && w.request.identity === id)) q.pollers.delete(id);
    return [...q.pollers.values()];
  }

  backlogSize(namespace: string, kind: QueueKind, name: string): number {
    return this.queues.get(`${namespace}\u0000${kind}\u0000${name}`)?.backlog.length ?? 0;
  }

  /** Takes every task out of a queue (a sticky queue whose worker shut down). */
  drain(namespace: string, kind: QueueKind, name: string): TaskRef[] {
    const key = `${namespace}\u0000${kind}\u0000${name}`;
    const q = this.queues.get(key);
    if (!q) return [];
    const tasks = q.backlog.splice(0);
    q.pollers.clear();
    this.observer?.backlog(namespace, kind, name, 0);
    return tasks;
  }

  /** Forgets a poller (ShutdownWorker). */
  removePoller(namespace: string, kind: QueueKind, name: string, identity: string): void {
    this.queues.get(`${namespace}\u0000${kind}\u0000${name}`)?.pollers.delete(identity);
  }

  /** Answers every waiting poll with "no task" and refuses new waits. */
  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) {
      for (const w of q.waiters.splice(0)) w.resolve(null);
    }
  }
}
