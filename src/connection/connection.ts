/**
 * A connection to a Temporal frontend over grpc-js: the channel, the headers, retries
 * with backoff, deadlines, cancellation, and an idempotent `close()`.
 */
import * as grpc from '@grpc/grpc-js';
import { BastionError, ConnectionError, IllegalStateError } from '../common/errors';
import { parsePositiveDuration } from '../common/duration';
import { CLIENT_NAME, CLIENT_VERSION } from './client-identity';
import { callHeaders } from './call-headers';
import { connectFailedError, describeStatusError } from './connect-error';
import { compileConnectionOptions, type CompiledConnectionOptions, type ConnectionOptions } from './connection-options';
import { backoffMs, isLongPoll, isRetryable } from './retry-policy';
import { channelCredentials, describeTls } from './tls-credentials';
import { createWorkflowService, lowerCamel, workflowServiceMethods, type CallOptions, type UnaryMethod, type WorkflowService } from './workflow-service';

/** `open` → `closing` → `closed`; nothing goes back. */
export type ConnectionState = 'open' | 'closing' | 'closed';

/**
 * Channel arguments Bastion always sets: keepalive pings so a dead peer is noticed during
 * a long poll, and a receive limit large enough for big histories (as the official SDK).
 */
const CHANNEL_ARGS: grpc.ChannelOptions = {
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 15_000,
  'grpc.max_receive_message_length': 128 * 1024 * 1024,
  'grpc.primary_user_agent': `${CLIENT_NAME}/${CLIENT_VERSION}`,
};

const TRACE = (process.env.BASTION_TRACE ?? '').split(',').some((c) => c.trim() === 'connection' || c.trim() === '*');
function trace(message: string, meta: Record<string, unknown>): void {
  if (TRACE) process.stderr.write(`[bastion:connection] ${message} ${JSON.stringify(meta)}\n`);
}

type Canceller = (reason: unknown) => void;

/**
 * A connection to a Temporal server.
 *
 * ```ts
 * await using connection = await Connection.connect({ address: 'temporal.internal:7233', tls: true });
 * const info = await connection.workflowService.getSystemInfo({});
 * ```
 */
export class Connection implements AsyncDisposable {
  /** The validated options, defaults filled in (the client key is not enumerable). */
  readonly options: CompiledConnectionOptions;
  /** One method per WorkflowService RPC, e.g. `startWorkflowExecution(request, { signal, timeout })`. */
  readonly workflowService: WorkflowService;
  private readonly client: grpc.Client;
  private readonly cancellers = new Set<Canceller>();
  private stateValue: ConnectionState = 'open';
  private closing: Promise<void> | undefined;

  private constructor(options: CompiledConnectionOptions) {
    this.options = options;
    const { credentials, channelOptions } = channelCredentials(options.tls);
    this.client = new grpc.Client(options.address, credentials, { ...CHANNEL_ARGS, ...channelOptions });
    this.workflowService = createWorkflowService((method, request, callOptions) => this.call(method, request, callOptions, true));
    trace('created', { address: options.address, tls: describeTls(options.tls) });
  }

  /**
   * Validates `options`, opens a channel and checks the server answers (`GetSystemInfo`).
   *
   * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS` or `ERR_TLS_CONFIG` for bad options
   * @param control `signal` abandons the attempt (the promise rejects with `signal.reason`)
   * @throws {ConnectionError} `ERR_CONNECT_FAILED` naming the address, the TLS state and the cause
   */
  static async connect(options?: ConnectionOptions, control: { signal?: AbortSignal } = {}): Promise<Connection> {
    const connection = new Connection(compileConnectionOptions(options));
    try {
      await connection.ensureConnected(control);
    } catch (err) {
      await connection.close();
      throw err;
    }
    return connection;
  }

  /** `host:port` of the server. */
  get address(): string {
    return this.options.address;
  }

  /** `open` until `close()` is called. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /**
   * Calls `GetSystemInfo` once, within `connectTimeout`, without retries.
   *
   * @throws {ConnectionError} `ERR_CONNECT_FAILED` (address, TLS state, cause) or `ERR_CONNECTION_CLOSED`
   */
  async ensureConnected(options: { signal?: AbortSignal } = {}): Promise<void> {
    const method = workflowServiceMethods().find((m) => m.name === 'GetSystemInfo')!;
    try {
      await this.call(method, {}, { signal: options.signal, timeout: this.options.connectTimeoutMs }, false);
    } catch (err) {
      if (err instanceof BastionError || options.signal?.aborted) throw err;
      const error = connectFailedError(this.options, err);
      trace('connect failed', { address: this.address, cause: describeStatusError(err) });
      throw error;
    }
  }

  /**
   * Closes the channel. Calls in flight, and retries waiting for their next attempt, reject
   * with `ERR_CONNECTION_CLOSED`. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.transition(['open'], 'closing');
      for (const cancel of [...this.cancellers]) {
        cancel(new ConnectionError('ERR_CONNECTION_CLOSED', `The connection to ${this.address} was closed while this call was in flight or waiting to retry.`));
      }
      this.client.close();
      this.transition(['closing'], 'closed');
    })();
    return this.closing;
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private transition(from: readonly ConnectionState[], to: ConnectionState): void {
    if (!from.includes(this.stateValue)) {
      throw new IllegalStateError('ERR_ILLEGAL_STATE', `Connection cannot go from ${this.stateValue} to ${to}.`);
    }
    trace('state', { address: this.address, from: this.stateValue, to });
    this.stateValue = to;
  }

  private assertOpen(what: string): void {
    if (this.stateValue !== 'open') {
      throw new ConnectionError('ERR_CONNECTION_CLOSED', `\`${what}\` was called after the connection to ${this.address} was closed. Open a new one with \`Connection.connect\`.`);
    }
  }

  /** One RPC: headers, deadline, attempts with backoff (ordinary calls only), cancellation. */
  private async call(method: UnaryMethod, request: unknown, options: CallOptions | undefined, retry: boolean): Promise<object> {
    const what = `workflowService.${lowerCamel(method.name)}`;
    this.assertOpen(what);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const longPoll = isLongPoll(method.name, request);
    const timeoutMs = options?.timeout !== undefined ? parsePositiveDuration(options.timeout, 'timeout') : longPoll ? undefined : this.options.callTimeoutMs;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const maxAttempts = retry && !longPoll ? this.options.retry.maxAttempts : 1;
    const bytes = method.serialize(request);
    for (let attempt = 1; ; attempt++) {
      const metadata = await callHeaders(this.options, request);
      this.assertOpen(what);
      signal?.throwIfAborted();
      try {
        return await this.attempt(method, bytes, metadata, deadline, signal);
      } catch (err) {
        if (attempt >= maxAttempts || !isRetryable(err) || err instanceof BastionError || signal?.aborted) throw err;
        const delayMs = backoffMs(attempt, this.options.retry);
        if (deadline !== undefined && Date.now() + delayMs >= deadline) throw err;
        trace('retry', { method: method.name, attempt, delayMs, cause: describeStatusError(err) });
        await this.cancellable<void>(signal, (resolve) => {
          const timer = setTimeout(resolve, delayMs);
          return () => clearTimeout(timer);
        });
      }
    }
  }

  private attempt(method: UnaryMethod, bytes: Buffer, metadata: grpc.Metadata, deadline: number | undefined, signal: AbortSignal | undefined): Promise<object> {
    const callOptions: grpc.CallOptions = deadline === undefined ? {} : { deadline: new Date(deadline) };
    return this.cancellable<object>(signal, (resolve, reject) => {
      const call = this.client.makeUnaryRequest(method.path, (b: Buffer) => b, method.deserialize, bytes, metadata, callOptions, (err, value) => {
        if (err) reject(err);
        else resolve(value as object);
      });
      return () => call.cancel();
    });
  }

  /**
   * Runs one step (an attempt or a backoff) that `close()` and `signal` can stop: `start`
   * begins it and returns how to stop it; a stopped step rejects with the reason.
   */
  private cancellable<T>(signal: AbortSignal | undefined, start: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.cancellers.delete(cancel);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const cancel: Canceller = (reason) => {
        if (!settle()) return;
        stop();
        reject(reason);
      };
      const onAbort = (): void => cancel(signal!.reason);
      const stop = start(
        (value) => settle() && resolve(value),
        (err) => settle() && reject(err),
      );
      this.cancellers.add(cancel);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
