/**
 * A small seeded PRNG for the fuzz suite (mulberry32 over a 32-bit state): the same seed
 * gives the same inputs on every machine, so a failure reproduces from its printed seed.
 * Not for cryptography.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uint32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /** A length skewed towards small values, sometimes large (up to `max`). */
  length(max: number): number {
    const r = this.int(10);
    if (r < 6) return this.int(Math.min(max, 16) + 1);
    if (r < 9) return this.int(Math.min(max, 300) + 1);
    return this.int(max + 1);
  }

  /** A string of `n` characters from a mix of ASCII, control, non-BMP and lone surrogates. */
  string(n: number): string {
    const alphabets = ['abcdefghijklmnopqrstuvwxyz0123456789-_.', ' \t\n\r\0"\'\\`{}[]()<>=,;:/?#%&*', 'é中文ü\u200b\u202e\ufeff', '\ud83d\ude00\ud800\udfff'];
    const alphabet = this.pick(alphabets);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** A new generator whose sequence depends on this one's seed and `salt` only. */
  static forCase(seed: number, index: number): Prng {
    const mixed = new Prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    return new Prng(mixed.next());
  }
}

/** Interesting integers: boundaries, negatives, off-by-ones. */
export const EDGE_NUMBERS: readonly number[] = [0, 1, -1, 2, 7, 255, 256, -128, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 1e15];
