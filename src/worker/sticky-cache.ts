/** The sticky cache: workflow runs kept in memory between tasks, least recently used evicted first. */
import type { RunDriver } from '../engine/run-driver';
import type { StickyCacheStats } from './worker-state';

export class StickyCache {
  private readonly runs = new Map<string, RunDriver>();
  private hits = 0;
  private misses = 0;
  private evictedForRoom = 0;
  private evicted = 0;

  constructor(
    readonly capacity: number,
    private readonly onEvict: (runId: string) => void = () => undefined,
    /** Told of each eviction made to free room (Core's forced evictions) and of each size change. */
    private readonly observe: { forcedEviction(): void; size(n: number): void } | undefined = undefined,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  get(runId: string): RunDriver | undefined {
    const d = this.runs.get(runId);
    if (d) {
      this.runs.delete(runId);
      this.runs.set(runId, d);
    }
    return d;
  }

  /** Like {@link get}, and counts a hit or a miss: call once per workflow task. */
  lookup(runId: string): RunDriver | undefined {
    const d = this.get(runId);
    if (d) this.hits++;
    else this.misses++;
    return d;
  }

  stats(): StickyCacheStats {
    return { size: this.runs.size, capacity: this.capacity, hits: this.hits, misses: this.misses, evictedForRoom: this.evictedForRoom, evicted: this.evicted };
  }

  /** The cached driver of `runId`, without touching its place in the LRU order. */
  peek(runId: string): RunDriver | undefined {
    return this.runs.get(runId);
  }

  put(driver: RunDriver): void {
    if (this.capacity === 0) {
      driver.dispose();
      return;
    }
    this.runs.delete(driver.runId);
    this.runs.set(driver.runId, driver);
    while (this.runs.size > this.capacity) {
      const oldest = this.runs.keys().next().value as string;
      this.evictedForRoom++;
      this.observe?.forcedEviction();
      this.evict(oldest);
    }
    this.observe?.size(this.runs.size);
  }

  evict(runId: string): void {
    const d = this.runs.get(runId);
    if (!d) return;
    this.runs.delete(runId);
    this.evicted++;
    this.observe?.size(this.runs.size);
    d.dispose();
    this.onEvict(runId);
  }

  evictAll(): void {
    for (const runId of [...this.runs.keys()]) this.evict(runId);
  }
}
