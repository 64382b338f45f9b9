/** The seven worker states and the one guarded transition between them. */
import { IllegalStateError } from '../common/errors';

export type WorkerState = 'INITIALIZED' | 'RUNNING' | 'FAILED' | 'STOPPING' | 'DRAINING' | 'DRAINED' | 'STOPPED';

/** Which states each state may be entered from. */
const ALLOWED_FROM: Record<WorkerState, readonly WorkerState[]> = {
  INITIALIZED: [],
  RUNNING: ['INITIALIZED'],
  STOPPING: ['RUNNING'],
  DRAINING: ['STOPPING'],
  DRAINED: ['DRAINING'],
  STOPPED: ['DRAINED', 'INITIALIZED'], // from INITIALIZED: shutdown() of a worker that never ran
  FAILED: ['RUNNING', 'STOPPING', 'DRAINING', 'DRAINED'],
};

export class WorkerStateMachine {
  private current: WorkerState = 'INITIALIZED';
  readonly history: WorkerState[] = ['INITIALIZED'];

  constructor(private readonly onChange: (from: WorkerState, to: WorkerState) => void) {}

  get state(): WorkerState {
    return this.current;
  }

  /** Moves to `to`; throws an illegal-state error naming both states when not allowed. */
  transition(to: WorkerState): void {
    const from = this.current;
    if (!ALLOWED_FROM[to].includes(from)) {
      throw new IllegalStateError('ERR_ILLEGAL_STATE', `Worker cannot go from ${from} to ${to}.`);
    }
    this.current = to;
    this.history.push(to);
    this.onChange(from, to);
  }

  /** Throws unless the worker is in one of `states`, naming the current one and the call. */
  require(states: readonly WorkerState[], call: string): void {
    if (!states.includes(this.current)) {
      throw new IllegalStateError('ERR_ILLEGAL_STATE', `Worker.${call}() is not allowed in state ${this.current}; it is allowed in ${states.join(' or ')}.`);
    }
  }
}

/** What the cache did since the worker started (for `worker.getStatus().stickyCache`). */
export interface StickyCacheStats {
  size: number;
  capacity: number;
  /** Tasks whose run was in the cache. */
  hits: number;
  /** Tasks whose run was not: the run replays its full history. */
  misses: number;
  /** Runs evicted to make room for another (least recently used first). */
  evictedForRoom: number;
  /** Runs evicted for any reason (room, completion, failure, shutdown). */
  evicted: number;
}
