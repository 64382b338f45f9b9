/**
 * Tasks received by task polls that a TLS rotation moved to a new channel: the moved poll
 * is left to finish on the old channel (cancelling it could discard a task the server
 * already sent), and a task it still receives goes to an identical poll that is waiting,
 * or is kept for the next one.
 */
import type { UnaryMethod } from './workflow-service';
import { LONG_POLL_METHODS } from './retry-policy';

/** Identical task polls (same method, same request bytes) can take each other's tasks. */
export function pollKey(method: UnaryMethod, bytes: Buffer): string {
  return `${method.path}\0${bytes.toString('latin1')}`;
}

/** Whether a poll response carries a task (an empty poll answer has no task token). */
export function hasTask(value: unknown): boolean {
  const token = (value as { taskToken?: Uint8Array } | null)?.taskToken;
  return token !== undefined && token !== null && token.length > 0;
}

export class TaskHandoff {
  /** Task polls in flight, by request, that can take a task another call of theirs received. */
  private readonly waitingPolls = new Map<string, Set<(task: object) => void>>();
  /** Tasks received by detached polls with no identical poll waiting; the next such poll takes one. */
  private readonly keptTasks = new Map<string, object[]>();

  constructor(private readonly trace: (message: string) => void) {}

  /** Tasks kept and not yet handed out. */
  get keptCount(): number {
    return [...this.keptTasks.values()].reduce((n, l) => n + l.length, 0);
  }

  clear(): void {
    this.keptTasks.clear();
  }

  wait(key: string, adopt: (task: object) => void): void {
    let set = this.waitingPolls.get(key);
    if (!set) this.waitingPolls.set(key, (set = new Set()));
    set.add(adopt);
  }

  unwait(key: string, adopt: (task: object) => void): void {
    const set = this.waitingPolls.get(key);
    if (set?.delete(adopt) && set.size === 0) this.waitingPolls.delete(key);
  }

  /** A detached poll received a task: give it to an identical poll that is waiting, or keep it for the next one. */
  handOff(key: string, task: object): void {
    const waiting = this.waitingPolls.get(key);
    const adopt = waiting?.values().next().value as ((task: object) => void) | undefined;
    if (adopt) {
      this.unwait(key, adopt);
      adopt(task);
      this.trace('task from a moved poll handed to a waiting poll');
      return;
    }
    this.keptTasks.set(key, [...(this.keptTasks.get(key) ?? []), task]);
    this.trace('task from a moved poll kept for the next poll');
  }

  /** A kept task for this poll, if any. */
  take(method: UnaryMethod, bytes: Buffer): object | undefined {
    if (this.keptTasks.size === 0 || !LONG_POLL_METHODS.has(method.name)) return undefined;
    const key = pollKey(method, bytes);
    const list = this.keptTasks.get(key);
    const task = list?.shift();
    if (list && list.length === 0) this.keptTasks.delete(key);
    return task;
  }
}
