/**
 * The activity API, used inside activity functions run by Bastion's worker.
 *
 * ```ts
 * import { Context } from 'bastion-temporal/activity';
 * export async function download(url: string) {
 *   const ctx = Context.current();
 *   ctx.heartbeat({ url });
 *   if (ctx.isWorkerShuttingDown) { ... save progress ... }
 * }
 * ```
 */
export { Context, heartbeat, activityInfo, cancellationSignal, sleep } from './context';
export type { ActivityInfo, CancellationReason, ActivityLogger } from './context';
export { ApplicationFailure, CancelledFailure } from '../converter';
