/**
 * The memory budget of codec server requests: how many bytes one request may decode, how
 * many bytes all requests in progress may hold together, and how many decompressions run
 * at once. The server runs each codec call inside {@link runWithDecodeBudget}, and
 * `CompressionCodec` charges every chunk it inflates to {@link currentDecodeBudget}, so
 * decompression stops at the budget instead of after it, whatever codec chain wraps it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { CodecError } from '../src/common/errors';

/** Bytes held by all requests in progress, shared by one server's requests. */
export class InFlightBytes {
  #used = 0;

  constructor(readonly limit: number) {}

  /** Takes `n` bytes if they fit under the limit; false (nothing taken) if not. */
  tryTake(n: number): boolean {
    if (this.#used + n > this.limit) return false;
    this.#used += n;
    return true;
  }

  give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }

  get used(): number {
    return this.#used;
  }
}

/** A counting semaphore with a FIFO queue. */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  /** Runs `fn` once a slot is free, and frees the slot when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** The limits a {@link DecodeBudget} names in its errors (option names of the codec server). */
export interface DecodeLimits {
  readonly maxDecodedBytesPerRequest: number;
  readonly maxInFlightBytes: number;
}

/** Which limit a request ran into: `request` (413) or `in-flight` (503). */
export type BudgetExceeded = 'request' | 'in-flight';

/**
 * One request's budget. Decoded bytes count against both the request's limit and the
 * server's in-flight bytes; held bytes (the body read, the answer written) against the
 * in-flight bytes only. `release()` gives everything back.
 */
export class DecodeBudget {
  #decoded = 0;
  #held = 0;
  #released = false;
  /** The first limit this request ran into, if any (set even when a codec swallowed the error). */
  exceeded: BudgetExceeded | undefined;

  constructor(
    readonly limits: DecodeLimits,
    readonly inFlight: InFlightBytes,
    readonly decompressions: Semaphore,
  ) {}

  /** Bytes decoded so far. */
  get decoded(): number {
    return this.#decoded;
  }

  /**
   * Charges `n` decoded bytes.
   * @throws {CodecError} `ERR_CODEC_TOO_LARGE` past `maxDecodedBytesPerRequest`; `ERR_CODEC_SERVER_BUSY` when the server's in-flight bytes are used up
   */
  takeDecoded(n: number): void {
    if (this.#decoded + n > this.limits.maxDecodedBytesPerRequest) throw this.#fail('request');
    this.#hold(n);
    this.#decoded += n;
  }

  /**
   * Charges `n` bytes the request holds (its body, its answer) to the in-flight bytes.
   * @throws {CodecError} `ERR_CODEC_SERVER_BUSY` when they are used up
   */
  hold(n: number): void {
    this.#hold(n);
  }

  /** Charges decoded bytes up to `total` (for codecs that do not charge as they go). */
  settleDecoded(total: number): void {
    if (total > this.#decoded) this.takeDecoded(total - this.#decoded);
  }

  /** Runs a decompression once one of the server's decompression slots is free. */
  decompress<T>(fn: () => Promise<T>): Promise<T> {
    // A request already answered (say, 413 for another payload) starts nothing more.
    return this.decompressions.run(() => (this.#released ? Promise.reject(this.#fail(this.exceeded ?? 'request')) : fn()));
  }

  /** Gives back every byte this request holds. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.inFlight.give(this.#held);
    this.#held = 0;
  }

  #hold(n: number): void {
    if (this.#released) throw new CodecError('ERR_CODEC_SERVER_BUSY', 'The request was already answered; nothing more can be decoded for it.');
    if (!this.inFlight.tryTake(n)) throw this.#fail('in-flight');
    this.#held += n;
  }

  #fail(which: BudgetExceeded): InstanceType<typeof CodecError> {
    this.exceeded ??= which;
    if (which === 'request') {
      return new CodecError(
        'ERR_CODEC_TOO_LARGE',
        `The payloads of this request decode to more than \`maxDecodedBytesPerRequest\` (${this.limits.maxDecodedBytesPerRequest} bytes); decoding stopped there. Decode fewer payloads per request, or raise the limit if the payloads are trusted.`,
      );
    }
    return new CodecError(
      'ERR_CODEC_SERVER_BUSY',
      `The codec server holds \`maxInFlightBytes\` (${this.limits.maxInFlightBytes} bytes) for requests in progress; retry shortly.`,
    );
  }
}

// One store per process, even when two copies of this module are loaded (src and dist, two bundles).
const STORE_KEY = Symbol.for('bastion.codecs.decodeBudget');
const storage: AsyncLocalStorage<DecodeBudget> =
  ((globalThis as Record<symbol, unknown>)[STORE_KEY] as AsyncLocalStorage<DecodeBudget> | undefined) ??
  (((globalThis as Record<symbol, unknown>)[STORE_KEY] = new AsyncLocalStorage<DecodeBudget>()) as AsyncLocalStorage<DecodeBudget>);

/** Runs `fn` with `budget` as the {@link currentDecodeBudget} of everything it calls. */
export function runWithDecodeBudget<T>(budget: DecodeBudget, fn: () => Promise<T>): Promise<T> {
  return storage.run(budget, fn);
}

/** The budget of the codec server request in progress, or undefined outside one. */
export function currentDecodeBudget(): DecodeBudget | undefined {
  return storage.getStore();
}
