/**
 * A connection to a Temporal frontend over grpc-js: the channel, the headers, retries
 * with backoff, deadlines, cancellation, and an idempotent `close()`.
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { BastionError, ConnectionError, IllegalStateError } from '../common/errors';
import { parsePositiveDuration } from '../common/duration';
import { callHeaders } from './call-headers';
import { connectFailedError, describeStatusError, unreachable } from './connect-error';
import { compileConnectionOptions, withOptionsView, type CompiledConnectionOptions, type ConnectionOptions } from './connection-options';
import { backoffMs, isLongPoll, isRetryable, LONG_POLL_METHODS, LONG_WAIT_METHODS } from './retry-policy';
import { describeTls, type CompiledTls, type TlsConfig } from './tls-credentials';
import { INSPECT_CUSTOM, redactedIfSet, redactedInspect } from '../common/redact';
import { ExpiryWatch } from './expiry-watch';
import { handshakeStuck, openChannel, probeChannel, type Channel, type ConnectionHealth } from './channel';
import { cancellable, type Canceller } from './cancellable';
import { CallScopes, type ConnectionPlugin } from './call-scope';
import { hasTask, pollKey, TaskHandoff } from './task-handoff';
import { checkRotationTls, clientCertificateInfo, type ClientCertificateInfo, type SetTlsConfigOptions, type TlsRotationResult } from './tls-material';
import type { CertificatePair, CertificateWatcher } from '../../certs/certificate-watcher';
import {
  handshakeFailureCause,
  recordCertificate,
  recordRotation,
  recordTlsHandshakeFailure,
  rotationRefusalReason,
} from '../observability/connectivity-metrics';
import { createOperatorService, createWorkflowService, lowerCamel, workflowServiceMethods } from './workflow-service';
import type { CallOptions, OperatorService, UnaryMethod, WorkflowService } from './workflow-service';

/** `open` → `closing` → `closed`; nothing goes back. */
export type ConnectionState = 'open' | 'closing' | 'closed';
export type { ConnectionHealth } from './channel';

const TRACE = (process.env.BASTION_TRACE ?? '').split(',').some((c) => c.trim() === 'connection' || c.trim() === '*');
function trace(message: string, meta: Record<string, unknown>): void {
  if (TRACE) process.stderr.write(`[bastion:connection] ${message} ${JSON.stringify(meta)}\n`);
}

/** The reason a long poll is cancelled by a rotation; the call loop reissues it. */
const MOVED = Symbol('bastion.connection.moved');

export type { SetTlsConfigOptions, TlsRotationResult } from './tls-material';

/**
 * A connection to a Temporal server. It is also a `ConnectionLike` of `@temporalio/client`
 * (`workflowService`, `operatorService`, `withDeadline`, `withMetadata`, `withAbortSignal`,
 * `plugins`): `new Client({ connection })` of the official SDK runs over it, rotations included.
 *
 * ```ts
 * await using connection = await Connection.connect({ address: 'temporal.internal:7233', tls: true });
 * const info = await connection.workflowService.getSystemInfo({});
 * ```
 */
export class Connection implements AsyncDisposable {
  /** One method per WorkflowService RPC, e.g. `startWorkflowExecution(request, { signal, timeout })`. */
  readonly workflowService: WorkflowService;
  /** One method per OperatorService RPC (search attributes, Nexus endpoints), with the same call options. */
  readonly operatorService: OperatorService;
  /** Always empty: read by `@temporalio/client`'s `Client`, which this connection also serves (docs/connection.md). */
  readonly plugins: ConnectionPlugin[] = [];
  private readonly scopes = new CallScopes();
  #compiled: CompiledConnectionOptions;
  #channel: Channel;
  private channelCount = 0;
  readonly #retiring = new Set<Channel>();
  readonly #cancellers = new Set<Canceller>();
  private stateValue: ConnectionState = 'open';
  private closing: Promise<void> | undefined;
  /** Rotations run one after another. */
  private rotation: Promise<unknown> = Promise.resolve();
  private readonly expiry: ExpiryWatch;
  private unwatch: (() => void) | undefined;
  private rotationsDone = 0;
  private lastSuccessAt: number | undefined;
  private lastFailure: ConnectionHealth['lastError'];
  private abandoned = 0;
  private handshakeWarned = false;
  private readonly watchdog: NodeJS.Timeout;
  /** Tasks received by polls a rotation moved, handed to identical polls. */
  private readonly handoff = new TaskHandoff((message) => trace(message, { address: this.address }));

  private constructor(options: CompiledConnectionOptions) {
    this.#compiled = options;
    this.#channel = this.openChannel(options.tls);
    this.watchdog = setInterval(() => this.checkHandshake(), Math.min(1000, Math.max(25, Math.floor(options.connectTimeoutMs / 4))));
    this.watchdog.unref();
    const call = this.scopes.wrap((method, request, callOptions) => this.call(method, request, callOptions, true));
    this.workflowService = createWorkflowService(call);
    this.operatorService = createOperatorService(call);
    this.expiry = new ExpiryWatch(options.expiryWarningDays, options.logger);
    const certificate = clientCertificateInfo(options.tls);
    this.expiry.track(certificate);
    if (certificate) recordCertificate(certificate, 'client', options.address, options.metrics);
    this.follow(options.tls);
    trace('created', { address: options.address, tls: describeTls(options.tls) });
  }

  /** The validated options, defaults filled in (the client key is not enumerable); `tls` is the configuration in force. */
  get options(): CompiledConnectionOptions {
    return this.#compiled;
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
      for (const cancel of [...this.#cancellers]) {
        cancel(new ConnectionError('ERR_CONNECTION_CLOSED', `The connection to ${this.address} was closed while this call was in flight or waiting to retry.`));
      }
      clearInterval(this.watchdog);
      this.expiry.stop();
      this.unwatch?.();
      const kept = this.handoff.keptCount;
      if (kept > 0)
        this.#compiled.logger.warn(
          'connection closed with tasks received by moved polls and not yet handed out; the server retries them after their timeouts',
          { address: this.address, tasks: kept },
        );
      this.handoff.clear();
      this.#channel.client.close();
      for (const c of this.#retiring) c.client.close();
      this.#retiring.clear();
      this.scopes.release();
      this.transition(['closing'], 'closed');
    })();
    return this.closing;
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Calls made inside `fn` fail with `DEADLINE_EXCEEDED` after `deadline` (a `Date` or epoch milliseconds). */
  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    return this.scopes.withDeadline(deadline, fn);
  }

  /** Calls made inside `fn` carry `metadata`, merged over the connection's headers and any outer scope's. */
  withMetadata<R>(metadata: Record<string, string | Buffer>, fn: () => Promise<R>): Promise<R> {
    return this.scopes.withMetadata(metadata, fn);
  }

  /** Calls made inside `fn` are cancelled (`CANCELLED`, `cause` the reason) when `abortSignal` aborts. */
  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    return this.scopes.withAbortSignal(abortSignal, fn);
  }

  /**
   * Switches to new TLS material without dropping work. The material is checked first
   * (PEM parses, the key belongs to the certificate, inside its validity window, allowed
   * as a TLS client, issued by `clientCa` when given) and, by default, tried in one
   * `GetSystemInfo` call over a new channel. Then new calls use the new channel, long
   * polls on the old one are cancelled and reissued on the new one at once, and the old
   * channel closes when its last call finishes. Rotations run one at a time.
   *
   * ```ts
   * await connection.setTlsConfig({ serverRootCACertificate: caPem, clientCertPair: { crt: newCrt, key: newKey } });
   * ```
   * @throws {ConnectionError} `ERR_TLS_ROTATION_REFUSED` naming each problem; the old configuration stays in force
   * @throws {ConnectionError} `ERR_CONNECTION_CLOSED` after `close()`
   */
  setTlsConfig(tls: TlsConfig, options: SetTlsConfigOptions = {}): Promise<TlsRotationResult> {
    return this.enqueueRotation(tls, options, undefined);
  }

  private enqueueRotation(tls: TlsConfig, options: SetTlsConfigOptions, source: CertificateWatcher | undefined): Promise<TlsRotationResult> {
    const run = this.rotation.then(() => this.rotate(tls, options, source));
    this.rotation = run.catch(() => undefined);
    return run;
  }

  /** The client certificate in force: subject, issuer, SHA-256 fingerprint, validity. `undefined` without mTLS. */
  tlsInfo(): ClientCertificateInfo | undefined {
    return clientCertificateInfo(this.#compiled.tls);
  }

  /** How many TLS rotations have gone live on this connection. */
  get rotationCount(): number {
    return this.rotationsDone;
  }

  /** What `util.inspect`, `console.log` and `JSON.stringify` show: never the API key or a private key. */
  #view(): object {
    return {
      address: this.address,
      state: this.stateValue,
      tls: describeTls(this.#compiled.tls),
      apiKey: redactedIfSet(this.#compiled.apiKey),
      metadata: Object.keys(this.#compiled.metadata),
      rotationCount: this.rotationsDone,
    };
  }

  /** `Connection { address, state, tls, apiKey: '[redacted]', metadata: [header names], rotationCount }`. */
  toJSON(): object {
    return this.#view();
  }

  [INSPECT_CUSTOM](depth: number, options: unknown, inspect: unknown): string {
    return redactedInspect('Connection', this.#view(), depth, options, inspect);
  }

  private async rotate(tls: TlsConfig, options: SetTlsConfigOptions, source: CertificateWatcher | undefined): Promise<TlsRotationResult> {
    this.assertOpen('setTlsConfig');
    const refuse = (problems: string[], cause?: unknown, codes: readonly string[] = []): never => {
      recordRotation('refused', rotationRefusalReason(codes, problems.join(' ')), this.#compiled.metrics);
      const error = new ConnectionError(
        'ERR_TLS_ROTATION_REFUSED',
        `\`setTlsConfig\` refused the new TLS settings for ${this.address}; the previous settings stay in force. ${problems.join(' ')}`,
        cause === undefined ? undefined : { cause },
      );
      this.#compiled.logger.warn('TLS rotation refused; the previous settings stay in force', { address: this.address, problems });
      throw error;
    };
    if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) {
      return refuse([
        '`tls` must be a TLS settings object `{ serverRootCACertificate?, clientCertPair?, serverNameOverride? }`; plaintext cannot be switched on by rotation.',
      ]);
    }
    if (!this.#compiled.tls) return refuse(['The connection is plaintext; TLS cannot be switched on by rotation. Open a new connection with `tls`.']);
    const checked = checkRotationTls(tls, this.#compiled.apiKey !== undefined, options.clientCa, source);
    if ('problems' in checked) {
      // Settings `compileTls` refused are reported in its words, which name the option.
      if (checked.cause !== undefined) return refuse([checked.cause instanceof Error ? checked.cause.message : String(checked.cause)], checked.cause);
      return refuse(
        checked.problems.map((p) => p.message),
        undefined,
        checked.problems.map((p) => String(p.code)),
      );
    }
    const compiled = checked.compiled;
    const next = this.openChannel(compiled);
    if (options.verifyWithServer ?? true) {
      try {
        await probeChannel(next, await callHeaders(this.#compiled, {}), this.#compiled.connectTimeoutMs, options.signal);
      } catch (err) {
        next.client.close();
        const probe = connectFailedError({ ...this.#compiled, tls: compiled }, err);
        return refuse([`A test call with the new settings failed: ${probe.message}`], err);
      }
      if (this.stateValue !== 'open') {
        next.client.close();
        this.assertOpen('setTlsConfig');
      }
    }
    const old = this.#channel;
    this.#channel = next;
    this.#compiled = withOptionsView({ ...this.#compiled, tls: compiled });
    this.follow(compiled);
    old.retiring = true;
    const movedLongPolls = old.longPolls.size;
    for (const move of [...old.longPolls]) move();
    const drainingCalls = old.inflight;
    if (old.inflight === 0) this.retire(old);
    else this.#retiring.add(old);
    this.rotationsDone++;
    const certificate = clientCertificateInfo(compiled);
    this.expiry.track(certificate);
    recordRotation('applied', '', this.#compiled.metrics);
    if (certificate) recordCertificate(certificate, 'client', this.address, this.#compiled.metrics);
    this.#compiled.logger.info('TLS settings rotated', {
      address: this.address,
      ...(certificate ? { subject: certificate.subject, fingerprint256: certificate.fingerprint256, notAfter: certificate.notAfter.toISOString() } : {}),
      movedLongPolls,
      drainingCalls,
    });
    trace('rotated', { address: this.address, channel: next.id, movedLongPolls, drainingCalls });
    return { certificate, movedLongPolls, drainingCalls };
  }

  /** Follows the certificate watcher of `tls`, if any, so each new pair is rotated in. */
  private follow(tls: CompiledTls | undefined): void {
    const source = tls?.clientCertSource;
    if (this.unwatch && this.followed === source) return;
    this.unwatch?.();
    this.unwatch = undefined;
    this.followed = source;
    if (!source) return;
    source.attachLogger(this.#compiled.logger);
    const take = async (pair: CertificatePair): Promise<boolean> => {
      if (this.stateValue !== 'open') return false;
      const current = this.#compiled.tls!;
      try {
        await this.enqueueRotation(
          { serverRootCACertificate: current.serverRootCACertificate, serverNameOverride: current.serverNameOverride, clientCertPair: pair },
          { clientCa: source.files.ca },
          source,
        );
        return true;
      } catch (err) {
        // Refusals are logged by rotate(); the previous pair stays in force, and the
        // watcher does not announce the refused pair as loaded. A test call that could not
        // reach the server (a partition) says nothing about the pair: the watcher will not
        // offer it again, so it is tried again every `connectTimeout` until the server
        // answers, a newer pair arrives or the connection closes.
        if (unreachable(err)) {
          const retry = setTimeout(() => {
            if (this.stateValue === 'open' && this.followed === source && source.current() === pair) void take(pair);
          }, this.#compiled.connectTimeoutMs);
          retry.unref();
        }
        return false;
      }
    };
    this.unwatch = source.onChange(take);
  }

  private followed: unknown;

  /** Calls' recent outcomes and the channel's state, for health checks and stall warnings. */
  health(): ConnectionHealth {
    let channelState = 'SHUTDOWN';
    if (this.stateValue === 'open') channelState = grpc.connectivityState[this.#channel.client.getChannel().getConnectivityState(false)] ?? 'UNKNOWN';
    return {
      lastSuccessfulCallAt: this.lastSuccessAt === undefined ? undefined : new Date(this.lastSuccessAt),
      lastError: this.lastFailure,
      channelState,
      abandonedHandshakes: this.abandoned,
    };
  }

  /**
   * grpc-js gives a new connection no handshake deadline: behind a proxy or NAT that
   * accepts TCP but never answers, the channel stays CONNECTING forever and every call
   * queued on it waits. A channel CONNECTING for longer than `connectTimeout` (or not READY
   * for longer than `connectTimeout` plus the longest reconnect backoff) is abandoned: its
   * calls, none of which reached the server, are reissued on a fresh channel.
   */
  private checkHandshake(): void {
    if (this.stateValue !== 'open') return;
    const channel = this.#channel;
    const state = channel.client.getChannel().getConnectivityState(false);
    if (state === grpc.connectivityState.READY) this.handshakeWarned = false;
    if (!handshakeStuck(channel, state, Date.now(), this.#compiled)) return;
    const { connectTimeoutMs } = this.#compiled;
    this.abandoned++;
    const meta = { address: this.address, state: grpc.connectivityState[state], connectTimeoutMs, reissuedCalls: channel.calls.size };
    if (!this.handshakeWarned) {
      this.handshakeWarned = true;
      this.#compiled.logger.warn('no HTTP/2 connection within `connectTimeout`; abandoning it and opening a new one', meta);
    } else this.#compiled.logger.debug?.('abandoning a connection that did not complete its handshake', meta);
    trace('handshake abandoned', { ...meta, channel: channel.id });
    this.#channel = this.openChannel(channel.tls);
    for (const reissue of [...channel.calls]) reissue();
    channel.retiring = true;
    if (channel.inflight === 0) this.retire(channel);
    else this.#retiring.add(channel);
  }

  /**
   * Resolves `true` as soon as the channel is connected (asking it to connect if idle),
   * `false` after `timeoutMs` or when `signal` aborts. How soon it reconnects is grpc-js's
   * reconnect backoff (`reconnect`); a poller waits here instead of adding a backoff of its own.
   */
  async waitForReady(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<boolean> {
    const until = Date.now() + (options.timeoutMs ?? this.#compiled.connectTimeoutMs);
    while (this.stateValue === 'open' && !options.signal?.aborted) {
      const channel = this.#channel.client.getChannel();
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) return true;
      const now = Date.now();
      if (now >= until) return false;
      // Short watches: the handshake watchdog may replace the channel meanwhile.
      await cancellable<void>(this.#cancellers, options.signal, (resolve) => {
        channel.watchConnectivityState(state, new Date(Math.min(until, now + 1000)), () => resolve());
        return () => undefined;
      }).catch(() => undefined);
    }
    return false;
  }

  private noteOutcome(err: grpc.ServiceError | null): void {
    if (!err) {
      this.lastSuccessAt = Date.now();
      return;
    }
    this.lastFailure = { code: grpc.status[err.code] ?? String(err.code), message: err.details || err.message, at: new Date() };
  }

  private openChannel(tls: CompiledTls | undefined): Channel {
    return openChannel(this.#compiled, tls, ++this.channelCount);
  }

  private retire(channel: Channel): void {
    this.#retiring.delete(channel);
    channel.client.close();
    trace('channel closed', { address: this.address, channel: channel.id });
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
      throw new ConnectionError(
        'ERR_CONNECTION_CLOSED',
        `\`${what}\` was called after the connection to ${this.address} was closed. Open a new one with \`Connection.connect\`.`,
      );
    }
  }

  /** One RPC: headers, deadline, attempts with backoff (ordinary calls only), cancellation. */
  private async call(method: UnaryMethod, request: unknown, options: CallOptions | undefined, retry: boolean): Promise<object> {
    const what = `${method.service}.${lowerCamel(method.name)}`;
    this.assertOpen(what);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const longPoll = isLongPoll(method.name, request);
    const timeoutMs =
      options?.timeout !== undefined
        ? parsePositiveDuration(options.timeout, 'timeout')
        : longPoll || LONG_WAIT_METHODS.has(method.name)
          ? this.options.longPollTimeoutMs
          : this.options.callTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const maxAttempts = retry && !longPoll ? this.options.retry.maxAttempts : 1;
    const bytes = method.serialize(request);
    const kept = this.handoff.take(method, bytes);
    if (kept) return kept;
    for (let attempt = 1; ; attempt++) {
      const metadata = await callHeaders(this.options, request, options?.metadata);
      this.assertOpen(what);
      signal?.throwIfAborted();
      const metrics = this.options.metrics;
      const labels = metrics.enabled ? requestLabels(method.name, request) : undefined;
      const began = labels ? performance.now() : 0;
      if (labels) metrics.count(longPoll ? 'long_request' : 'request', labels);
      try {
        const value = await this.attempt(method, bytes, metadata, deadline, signal, longPoll);
        if (labels) metrics.durationMs(longPoll ? 'long_request_latency' : 'request_latency', labels, performance.now() - began);
        return value;
      } catch (err) {
        // A call its caller cancelled (a poll stopped by the worker's shutdown) is not a
        // failure: Core drops such a call without recording it, so deploys show no failures.
        if (labels && err !== MOVED && !signal?.aborted) {
          metrics.durationMs(longPoll ? 'long_request_latency' : 'request_latency', labels, performance.now() - began);
          const code = (err as { code?: unknown }).code;
          const statusCode = typeof code === 'number' ? (grpc.status[code] ?? String(code)) : 'TRANSPORT_ERROR';
          metrics.count(longPoll ? 'long_request_failure' : 'request_failure', { ...labels, status_code: statusCode });
        }
        if (code14(err) && this.#compiled.tls) {
          const cause = handshakeFailureCause(String((err as { details?: unknown }).details ?? ''));
          if (cause) recordTlsHandshakeFailure(cause, this.options.metrics);
        }
        if (err === MOVED) {
          // A rotation moved this long poll: reissue it on the new channel at once (or take a
          // task its old call has received meanwhile); it does not count as an attempt.
          attempt--;
          const task = this.handoff.take(method, bytes);
          if (task) return task;
          continue;
        }
        if (attempt >= maxAttempts || !isRetryable(err) || err instanceof BastionError || signal?.aborted) throw err;
        const delayMs = backoffMs(attempt, this.options.retry);
        if (Date.now() + delayMs >= deadline) throw err;
        trace('retry', { method: method.name, attempt, delayMs, cause: describeStatusError(err) });
        if (this.#channel.client.getChannel().getConnectivityState(false) !== grpc.connectivityState.READY) {
          // Not connected: retry the moment the connection is back, at the latest after the delay.
          await this.waitForReady({ signal, timeoutMs: delayMs });
          continue;
        }
        await cancellable<void>(this.#cancellers, signal, (resolve) => {
          const timer = setTimeout(resolve, delayMs);
          return () => clearTimeout(timer);
        });
      }
    }
  }

  private attempt(
    method: UnaryMethod,
    bytes: Buffer,
    metadata: grpc.Metadata,
    deadline: number,
    signal: AbortSignal | undefined,
    longPoll: boolean,
  ): Promise<object> {
    const callOptions: grpc.CallOptions = { deadline: new Date(deadline) };
    const channel = this.#channel;
    const taskPoll = LONG_POLL_METHODS.has(method.name);
    const key = taskPoll ? pollKey(method, bytes) : '';
    return cancellable<object>(this.#cancellers, signal, (resolve, reject) => {
      channel.inflight++;
      let done = false;
      // Once detached, the caller no longer waits for this call: it was moved by a rotation
      // or given a task another call received. A task this call still receives is handed on.
      let detached = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        channel.inflight--;
        channel.longPolls.delete(move);
        channel.calls.delete(reissue);
        if (channel.retiring && channel.inflight === 0) this.retire(channel);
      };
      const call = channel.client.makeUnaryRequest(
        method.path,
        (b: Buffer) => b,
        method.deserialize,
        bytes,
        metadata,
        callOptions,
        (err, value) => {
          if (!done && !(err && err.code === grpc.status.CANCELLED && detached)) this.noteOutcome(err);
          finish();
          if (detached) {
            if (!err && hasTask(value)) this.handoff.handOff(key, value as object);
            return;
          }
          this.handoff.unwait(key, adopt);
          if (err) reject(err);
          else resolve(value as object);
        },
      );
      // A rotation moves the caller to the new channel at once. A history long poll is
      // cancelled (reading history again is harmless); a task poll is left to finish on the
      // old channel, because cancelling it could discard a task the server already sent.
      const move = (): void => {
        detached = true;
        this.handoff.unwait(key, adopt);
        reject(MOVED);
        if (!taskPoll) {
          finish();
          call.cancel();
        }
      };
      const adopt = (task: object): void => {
        detached = true;
        channel.longPolls.delete(move);
        resolve(task);
      };
      // The handshake watchdog abandoned this channel before it ever connected: nothing of
      // this call reached the server, so it is reissued (any method, task polls included).
      const reissue = (): void => {
        if (done || detached) return;
        detached = true;
        this.handoff.unwait(key, adopt);
        reject(MOVED);
        finish();
        call.cancel();
      };
      channel.calls.add(reissue);
      if (longPoll) channel.longPolls.add(move);
      if (taskPoll) this.handoff.wait(key, adopt);
      return () => {
        this.handoff.unwait(key, adopt);
        finish();
        call.cancel();
      };
    });
  }
}

/** `operation`, `namespace` and (for polls) `task_queue` labels of a call, as Core sets them. */
function requestLabels(operation: string, request: unknown): Record<string, string> {
  const r = (request ?? {}) as { namespace?: unknown; taskQueue?: { name?: unknown; normalName?: unknown } | null };
  const labels: Record<string, string> = { operation, namespace: typeof r.namespace === 'string' ? r.namespace : '' };
  const tq = r.taskQueue;
  // Sticky polls are labelled with the normal queue's name (Core's default strategy), keeping cardinality bounded.
  const name = typeof tq?.normalName === 'string' && tq.normalName !== '' ? tq.normalName : tq?.name;
  if (typeof name === 'string') labels.task_queue = name;
  return labels;
}

function code14(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === grpc.status.UNAVAILABLE;
}
