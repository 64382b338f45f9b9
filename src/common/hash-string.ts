/** Shared by the engine (host) and the workflow runtime (sandbox): nothing here touches Node. */

/** A stable 32-bit hash of a string (FNV-1a), used to seed a run's PRNG from its run id. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
