/**
 * Which calls are retried, and how long to wait between attempts. Long polls are never
 * retried here: the poller that issued them decides what to do next.
 */
import { status } from '@grpc/grpc-js';
import type { RetryOptions } from './connection-options';

/**
 * How far each delay may stray from the nominal backoff, as a fraction (±20 %).
 * @default 0.2
 */
export const RETRY_JITTER = 0.2;

/** gRPC statuses that mean "try again later" rather than "this request is wrong". */
export const RETRYABLE_STATUSES: ReadonlySet<status> = new Set([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED]);

/** Methods that the server holds open until there is work (about a minute). */
export const LONG_POLL_METHODS: ReadonlySet<string> = new Set(['PollWorkflowTaskQueue', 'PollActivityTaskQueue', 'PollNexusTaskQueue']);

/**
 * Ordinary (retried) calls that the server may hold open while it waits for a worker
 * (updates): they get the long-poll deadline instead of `callTimeout`.
 */
export const LONG_WAIT_METHODS: ReadonlySet<string> = new Set(['UpdateWorkflowExecution', 'PollWorkflowExecutionUpdate', 'ExecuteMultiOperation']);

/**
 * Whether a call is a long poll: one of {@link LONG_POLL_METHODS}, or
 * `GetWorkflowExecutionHistory` with `waitNewEvent: true`.
 */
export function isLongPoll(method: string, request: unknown): boolean {
  if (LONG_POLL_METHODS.has(method)) return true;
  return method === 'GetWorkflowExecutionHistory' && (request as { waitNewEvent?: unknown } | null)?.waitNewEvent === true;
}

/** Whether an error is a gRPC status worth retrying. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && RETRYABLE_STATUSES.has(code);
}

/**
 * The delay before retry number `retry` (1 for the first retry): `initialIntervalMs`
 * doubled per retry, capped at `maxIntervalMs`, then jittered by ±{@link RETRY_JITTER}.
 */
export function backoffMs(retry: number, options: Readonly<RetryOptions>, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxIntervalMs, options.initialIntervalMs * 2 ** (retry - 1));
  return Math.max(0, Math.round(nominal * (1 + RETRY_JITTER * (2 * random() - 1))));
}
