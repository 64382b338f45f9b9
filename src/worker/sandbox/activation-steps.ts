/** The steps of one activation, shared by the per-run and the shared-context entry scripts. */
/**
 * Source of one whole activation's steps, for code that runs inside a context: `activate`,
 * then `tryUnblockConditions` until nothing more unblocks, then `concludeActivation`
 * (returned), with the promise jobs of each step drained before the next.
 */
export function activationSteps(runtime: string, arg: string, drain: string): string {
  return `${runtime}.activate(${arg});
  ${drain}();
  for (let n = 0; n < 10000; n++) {
    const more = ${runtime}.tryUnblockConditions();
    ${drain}();
    if (more !== true) break;
  }
  return ${runtime}.concludeActivation();`;
}
