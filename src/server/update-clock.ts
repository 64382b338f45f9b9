/**
 * The one place the dev server's update code reads the time, so a virtual clock (time
 * skipping) can be put behind it without touching the update logic.
 */
export function updateNowMs(): number {
  return Date.now();
}
