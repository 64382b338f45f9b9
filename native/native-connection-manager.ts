/**
 * `connectNative` and `NativeConnectionManager`: Bastion's connectivity toolkit over the
 * official `NativeConnection` (Temporal's Core). A rotation validates the new material,
 * connects a new `NativeConnection`, proves it with `GetSystemInfo`, moves every attached
 * official `Worker` onto it (`worker.connection = next`), and closes the old one after a
 * grace period. Bad material is refused with a coded error; the old connection stays.
 */
import {
  handshakeFailureCause,
  recordCertificate,
  recordRotation,
  recordTlsHandshakeFailure,
  rotationRefusalReason,
} from '../src/observability/connectivity-metrics';
import { EventEmitter } from 'node:events';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { BastionError, ConnectionError, IllegalStateError, invalidOption } from '../src/common/errors';
import { describeCause, INSPECT_CUSTOM, redactedIfSet, redactedInspect } from '../src/common/redact';
import { ExpiryWatch } from '../src/connection/expiry-watch';
import { withOptionsView, type CompiledConnectionOptions } from '../src/connection/connection-options';
import type { TlsConfig } from '../src/connection/tls-credentials';
import { checkRotationTls, clientCertificateInfo, type ClientCertificateInfo } from '../src/connection/tls-material';
import type { CertificatePair, CertificateWatcher } from '../certs/certificate-watcher';
import type { CertificateProblem } from '../certs/verify';
import { describeDiagnosis, diagnose, nativeConnectFailed, withDiagnosis, type DiagnosedError } from './connect-diagnosis';
import { compileNativeOptions, watchedSource, type CompiledNativeOptions, type NativeConnectOptions } from './native-options';
import { openProven } from './open-native-connection';
import type { NativeConnectionManagerEvents, NativeRotationEvent, RotationSource } from './rotation-events';
import { loadOfficialWorker } from './peer';

/** `open` → `closing` → `closed`. */
export type NativeConnectionState = 'open' | 'closing' | 'closed';

type OfficialWorker = Pick<Worker, 'connection' | 'getState'>;

const TRACE = (process.env.BASTION_TRACE ?? '').split(',').some((c) => c.trim() === 'native' || c.trim() === '*');
function trace(message: string, meta: Record<string, unknown>): void {
  if (TRACE) process.stderr.write(`[bastion:native] ${message} ${JSON.stringify(meta)}\n`);
}

/**
 * The live official `NativeConnection`, kept on valid TLS material: pass `.connection` to
 * the official `Worker.create`, then `attach` the worker.
 *
 * Events (an `EventEmitter`): `'rotation'` ({@link NativeRotationEvent}) after each new
 * connection went live, `'refused'` (`NativeRefusalEvent`) for material that did not.
 */
export class NativeConnectionManager extends EventEmitter<NativeConnectionManagerEvents> implements AsyncDisposable {
  #current: NativeConnection;
  #options: CompiledConnectionOptions;
  readonly #settings: CompiledNativeOptions;
  readonly #workers = new Set<OfficialWorker>();
  /** Replaced connections waiting for their grace period, with their timers. */
  readonly #retiring = new Map<NativeConnection, NodeJS.Timeout | undefined>();
  readonly #expiry: ExpiryWatch;
  #state: NativeConnectionState = 'open';
  #closing: Promise<void> | undefined;
  #rotation: Promise<unknown> = Promise.resolve();
  #rotations = 0;
  #unfollow: (() => void) | undefined;

  /** @internal use {@link connectNative} */
  constructor(connection: NativeConnection, settings: CompiledNativeOptions) {
    super();
    this.#current = connection;
    this.#settings = settings;
    this.#options = settings.connection;
    this.#expiry = new ExpiryWatch(this.#options.expiryWarningDays, this.#options.logger);
    const certificate = clientCertificateInfo(this.#options.tls);
    this.#expiry.track(certificate);
    if (certificate) recordCertificate(certificate, 'client', this.#options.address, this.#options.metrics);
    this.#follow();
  }

  /** The official `NativeConnection` in force; it changes at each rotation. */
  get connection(): NativeConnection {
    return this.#current;
  }

  /** The namespace of the profile (or `TEMPORAL_NAMESPACE`), `'default'` otherwise: pass it to `Worker.create`. */
  get namespace(): string {
    return this.#settings.namespace;
  }

  /** `host:port` of the server. */
  get address(): string {
    return this.#options.address;
  }

  /** `open` until `close()`. */
  get state(): NativeConnectionState {
    return this.#state;
  }

  /** How many rotations have gone live. */
  get rotationCount(): number {
    return this.#rotations;
  }

  /** The official workers moved at each rotation. */
  get workers(): readonly OfficialWorker[] {
    return [...this.#workers];
  }

  /** The client certificate in force: subject, issuer, SHA-256 fingerprint, validity. `undefined` without mTLS. */
  tlsInfo(): ClientCertificateInfo | undefined {
    return clientCertificateInfo(this.#options.tls);
  }

  /**
   * Moves `worker` (an official `Worker`) with every rotation; it is put on the current
   * connection at once if it runs on another. Several workers may be attached.
   *
   * @returns a function that detaches it (same as {@link detach})
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `worker` is not an official `Worker` created with a connection
   */
  attach(worker: Worker): () => void {
    this.#assertOpen('attach');
    const w = worker as unknown as OfficialWorker;
    if (typeof w !== 'object' || w === null || typeof w.getState !== 'function' || !w.connection) {
      throw invalidOption('attach(worker)', 'takes an official `Worker` from `@temporalio/worker` created with `connection: manager.connection`.');
    }
    if (w.connection !== this.#current) w.connection = this.#current;
    this.#workers.add(w);
    return () => this.detach(worker);
  }

  /** Stops moving `worker`; it stays on the connection it has. */
  detach(worker: Worker): void {
    this.#workers.delete(worker as unknown as OfficialWorker);
  }

  /**
   * Rotates to new TLS settings: validated as `Connection.setTlsConfig` does, a new
   * `NativeConnection` proven with `GetSystemInfo`, every attached worker moved, the old
   * connection closed after `closeGracePeriod`. Rotations run one at a time, in call order.
   *
   * @param options `clientCa`: PEM, Buffer or path of the CA that must have issued the new client certificate
   * @throws {ConnectionError} `ERR_TLS_ROTATION_REFUSED` naming each problem (the `refused` event carries the codes); the old connection stays
   * @throws {ConnectionError} `ERR_CONNECTION_CLOSED` after `close()`
   */
  setTlsConfig(tls: TlsConfig, options: { clientCa?: Buffer | string } = {}): Promise<NativeRotationEvent> {
    return this.#enqueue(tls, 'setTlsConfig', options.clientCa);
  }

  /**
   * Sends a new API key on every later call of the connection in force and of the ones
   * rotations open. Never logged.
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `apiKey` is not a non-empty printable string
   */
  async setApiKey(apiKey: string): Promise<void> {
    this.#assertOpen('setApiKey');
    if (typeof apiKey !== 'string' || apiKey === '' || !/^[\x20-\x7e]+$/.test(apiKey)) {
      throw invalidOption('setApiKey(apiKey)', 'takes a non-empty string of printable ASCII characters (it is sent as a header).');
    }
    await this.#current.setApiKey(apiKey);
    this.#options = withOptionsView({ ...this.#options, apiKey });
  }

  /**
   * Stops watching, then closes the connection in force and every replaced one at once.
   * Shut the attached workers down first (Core refuses to close a connection a running
   * worker holds). Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      this.#unfollow?.();
      this.#settings.ownWatcher?.close();
      this.#expiry.stop();
      const all = [...this.#retiring.keys(), this.#current];
      for (const timer of this.#retiring.values()) clearTimeout(timer);
      this.#retiring.clear();
      this.#workers.clear();
      const failures: unknown[] = [];
      for (const c of all) await c.close().catch((err: unknown) => failures.push(err));
      this.#state = 'closed';
      if (failures.length > 0) {
        throw new IllegalStateError(
          'ERR_ILLEGAL_STATE',
          `\`close()\` could not close ${failures.length} native connection(s): ${describeCause(failures[0])}. Shut the workers that use them down first (\`worker.shutdown()\`, then await \`worker.run()\`).`,
          { cause: failures[0] },
        );
      }
    })();
    return this.#closing;
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** What `JSON.stringify` and `util.inspect` show: never the API key or a private key. */
  toJSON(): object {
    return {
      address: this.address,
      state: this.#state,
      rotationCount: this.#rotations,
      certificate: this.tlsInfo()?.subject,
      apiKey: redactedIfSet(this.#options.apiKey),
      workers: this.#workers.size,
    };
  }

  [INSPECT_CUSTOM](depth: number, options: unknown, inspect: unknown): string {
    return redactedInspect('NativeConnectionManager', this.toJSON(), depth, options, inspect);
  }

  #assertOpen(what: string): void {
    if (this.#state !== 'open') {
      throw new ConnectionError(
        'ERR_CONNECTION_CLOSED',
        `\`${what}\` was called after the native connection manager for ${this.address} was closed. Open a new one with \`connectNative\`.`,
      );
    }
  }

  #enqueue(tls: TlsConfig, source: RotationSource, clientCa: Buffer | string | undefined, watcher?: CertificateWatcher): Promise<NativeRotationEvent> {
    const run = this.#rotation.then(() => this.#rotate(tls, source, clientCa, watcher));
    this.#rotation = run.catch(() => undefined);
    return run;
  }

  #refuse(source: RotationSource, problems: CertificateProblem[], cause?: unknown, diagnosis?: Awaited<ReturnType<typeof diagnose>>): never {
    const text = problems.map((p) => p.message).join(' ');
    const metrics = this.#options.metrics;
    recordRotation(
      'refused',
      rotationRefusalReason(
        problems.map((p) => String(p.code)),
        text,
      ),
      metrics,
    );
    const handshake = problems.some((p) => p.code === 'CONNECT_FAILED') ? handshakeFailureCause(describeCause(cause)) : undefined;
    if (handshake) recordTlsHandshakeFailure(handshake, metrics);
    const tail = diagnosis ? ` ${describeDiagnosis(diagnosis)}` : '';
    const error = withDiagnosis(
      new ConnectionError(
        'ERR_TLS_ROTATION_REFUSED',
        `The native connection to ${this.address} refused the new TLS settings; the previous connection stays in force. ${text}${tail}`,
        cause === undefined ? undefined : { cause },
      ),
      diagnosis,
    );
    this.#options.logger.warn('TLS rotation refused; the previous native connection stays in force', {
      address: this.address,
      source,
      codes: problems.map((p) => p.code),
      problems: problems.map((p) => p.message),
    });
    this.#announce('refused', { source, error, problems });
    throw error;
  }

  async #rotate(
    tls: TlsConfig,
    source: RotationSource,
    clientCaInput: Buffer | string | undefined,
    watcher: CertificateWatcher | undefined,
  ): Promise<NativeRotationEvent> {
    this.#assertOpen('setTlsConfig');
    const started = performance.now();
    if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) {
      this.#refuse(source, [
        { code: 'ERR_INVALID_OPTION', message: '`tls` must be a TLS settings object `{ serverRootCACertificate?, clientCertPair?, serverNameOverride? }`.' },
      ]);
    }
    if (!this.#options.tls) {
      this.#refuse(source, [
        { code: 'ERR_INVALID_OPTION', message: 'The connection is plaintext; TLS cannot be switched on by rotation. Call `connectNative` with `tls`.' },
      ]);
    }
    const checked = checkRotationTls(tls, this.#options.apiKey !== undefined, clientCaInput, watcher);
    if ('problems' in checked) this.#refuse(source, checked.problems, checked.cause);
    const compiled = checked.compiled;
    const nextOptions = withOptionsView({ ...this.#options, tls: compiled });
    let opened: { connection: NativeConnection; ms: number };
    try {
      opened = await openProven(nextOptions);
    } catch (err) {
      const diagnosis = this.#state === 'open' ? await diagnose(nextOptions, this.namespace, Math.min(nextOptions.connectTimeoutMs, 5000)) : undefined;
      this.#refuse(source, [{ code: 'CONNECT_FAILED', message: `A test connection with the new settings failed: ${describeCause(err)}.` }], err, diagnosis);
    }
    const next = opened.connection;
    if (this.#state !== 'open') {
      await next.close().catch(() => undefined);
      this.#assertOpen('setTlsConfig');
    }
    const swapStarted = performance.now();
    let moved = 0;
    for (const worker of [...this.#workers]) {
      const state = worker.getState();
      if (state === 'STOPPED' || state === 'FAILED') {
        this.#workers.delete(worker);
        continue;
      }
      try {
        worker.connection = next;
        moved++;
      } catch (err) {
        this.#options.logger.warn('an attached worker could not be moved to the new native connection; it stays on the previous one', {
          address: this.address,
          state,
          error: describeCause(err),
        });
      }
    }
    const swapMs = performance.now() - swapStarted;
    const old = this.#current;
    this.#current = next;
    this.#options = nextOptions;
    this.#retire(old);
    this.#rotations++;
    const certificate = clientCertificateInfo(compiled);
    this.#expiry.track(certificate);
    recordRotation('applied', '', this.#options.metrics);
    if (certificate) recordCertificate(certificate, 'client', this.address, this.#options.metrics);
    const event: NativeRotationEvent = {
      rotationCount: this.#rotations,
      source,
      certificate,
      movedWorkers: moved,
      connectMs: opened.ms,
      swapMs,
      durationMs: performance.now() - started,
    };
    this.#options.logger.info('native connection rotated', {
      address: this.address,
      source,
      ...(certificate ? { subject: certificate.subject, fingerprint256: certificate.fingerprint256, notAfter: certificate.notAfter.toISOString() } : {}),
      movedWorkers: moved,
      closeGraceMs: this.#settings.closeGraceMs,
    });
    trace('rotated', { address: this.address, rotationCount: this.#rotations, connectMs: event.connectMs, swapMs });
    this.#announce('rotation', event);
    return event;
  }

  /** Emits an event; a listener that throws is logged and does not undo the rotation or refusal. */
  #announce<K extends keyof NativeConnectionManagerEvents>(name: K, ...args: NativeConnectionManagerEvents[K]): void {
    try {
      (this.emit as (event: K, ...a: NativeConnectionManagerEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      this.#options.logger.warn(`a '${name}' listener of the native connection manager threw`, { error: describeCause(err) });
    }
  }

  /** Closes a replaced connection after the grace period (see `closeGracePeriod`). */
  #retire(old: NativeConnection): void {
    const timer = setTimeout(() => {
      if (!this.#retiring.has(old)) return;
      old.close().then(
        () => {
          this.#retiring.delete(old);
          trace('old connection closed', { address: this.address });
        },
        (err: unknown) => {
          // A worker that is not attached still holds it: keep it until `close()`.
          this.#retiring.set(old, undefined);
          this.#options.logger.warn('a replaced native connection is still used by a worker that is not attached; it stays open until `close()`', {
            address: this.address,
            error: describeCause(err),
          });
        },
      );
    }, this.#settings.closeGraceMs);
    timer.unref();
    this.#retiring.set(old, timer);
  }

  /** Follows the certificate watcher of the settings, if any: each valid new pair is rotated in, each invalid one refused. */
  #follow(): void {
    const source = watchedSource(this.#options.tls);
    if (!source) return;
    source.attachLogger(this.#options.logger);
    const take = async (pair: CertificatePair): Promise<boolean> => {
      if (this.#state !== 'open') return false;
      const current = this.#options.tls!;
      try {
        await this.#enqueue(
          {
            serverRootCACertificate: current.serverRootCACertificate,
            serverNameOverride: current.serverNameOverride,
            clientCertPair: { crt: pair.crt, key: pair.key },
          },
          'watcher',
          source.files.ca,
          source,
        );
        return true;
      } catch (err) {
        // The server could not be reached at all (not a refusal of the pair): the watcher will
        // not offer the pair again, so it is retried every `connectTimeout` while it is current.
        if (unreachable(err)) {
          const retry = setTimeout(() => {
            if (this.#state === 'open' && source.current() === pair) void take(pair);
          }, this.#options.connectTimeoutMs);
          retry.unref();
        }
        return false;
      }
    };
    const offChange = source.onChange(take);
    const offReject = source.onReject(({ problems }) => {
      if (this.#state !== 'open') return;
      try {
        this.#refuse('watcher', problems);
      } catch {
        // Reported through the log line and the `refused` event.
      }
    });
    this.#unfollow = () => {
      offChange();
      offReject();
    };
  }
}

/** A refusal whose test connection never reached the server (a partition, not a bad pair). */
function unreachable(err: unknown): boolean {
  const diagnosis = (err as DiagnosedError).diagnosis;
  if (!diagnosis) return false;
  const failed = diagnosis.steps.find((s) => s.status === 'failed');
  return failed?.name === 'dns' || failed?.name === 'tcp';
}

/**
 * Connects the official `NativeConnection` with Bastion's options: validated first (same
 * codes as `Connection.connect`), then proven with `GetSystemInfo`. A failure carries the
 * diagnosis of `bastion doctor` for the same settings.
 *
 * ```ts
 * import { Worker } from '@temporalio/worker';
 * import { connectNative } from 'bastion-temporal/native';
 * const native = await connectNative({ profile: 'prod', watchCertificateFiles: { crt: '/certs/tls.crt', key: '/certs/tls.key' } });
 * const worker = await Worker.create({ connection: native.connection, namespace: native.namespace, taskQueue: 'q', workflowsPath, activities });
 * native.attach(worker);
 * await worker.run();
 * await native.close();
 * ```
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS`, `ERR_TLS_CONFIG` for bad options
 * @throws {CertsError} `ERR_CERTS_WATCH` when watched files hold no usable pair
 * @param control `signal` abandons the attempt (the promise rejects with `signal.reason`)
 * @throws {ConnectionError} `ERR_CONNECT_FAILED` with `diagnosis` (the doctor's steps) when the server cannot be reached or refuses
 */
export async function connectNative(options: NativeConnectOptions = {}, control: { signal?: AbortSignal } = {}): Promise<NativeConnectionManager> {
  loadOfficialWorker();
  const settings = compileNativeOptions(options);
  try {
    const { connection } = await openProven(settings.connection, control.signal);
    return new NativeConnectionManager(connection, settings);
  } catch (err) {
    settings.ownWatcher?.close();
    if (err instanceof BastionError || control.signal?.aborted) throw err;
    throw await nativeConnectFailed(settings.connection, settings.namespace, err, settings.profile);
  }
}
