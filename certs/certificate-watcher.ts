/**
 * `watchCertificateFiles`: a client certificate and key read from files and re-read when
 * the files are replaced — by an editor, `mv`, cert-manager, or a Kubernetes secret
 * volume (which swaps a `..data` symlink in the files' folder). A new pair goes live only
 * when both files are complete and consistent: PEM that parses, a key that belongs to the
 * certificate, inside its validity window, allowed as a TLS client, and issued by `ca`
 * when one is given. A half-written pair fails those checks and is retried; a pair that
 * stays invalid is reported once and the old pair stays in force.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CertsError } from '../src/common/errors';
import { defineRedactedView, REDACTED } from '../src/common/redact';
import { describeCertificate } from './inspect';
import { parseCertificate, splitPem } from './x509-reader';
import { verifyCertificate, type CertificateProblem } from './verify';
import { processLogger, type Logger } from '../src/common/logger';

/**
 * How often the files are re-read even when no file event arrived (some volumes, such as
 * network mounts, send none).
 * @default 10_000 (10 s)
 */
export const DEFAULT_WATCH_POLL_INTERVAL_MS = 10_000;

/**
 * How long after a file event the files are read, so a writer can finish the pair.
 * @default 100
 */
export const DEFAULT_WATCH_SETTLE_MS = 100;

/** A certificate (chain) and its private key as PEM bytes; the key is not enumerable. */
export interface CertificatePair {
  readonly crt: Buffer;
  readonly key: Buffer;
}

/** What a watcher says about the pair in force. Nothing secret. */
export interface CertificatePairInfo {
  subject: string;
  issuer: string;
  /** SHA-256 fingerprint, upper-case hex pairs joined by `:`. */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
  /** Serial number, upper-case hex (as `inspectCertificate` gives it). */
  serialNumber?: string;
}

/** The watcher's log sink; Connection passes its own logger. */
export type CertificateWatcherLogger = Pick<Logger, 'info' | 'warn'>;

/** Options of {@link watchCertificateFiles}. */
export interface WatchCertificateFilesOptions {
  /** Path of the client certificate (chain) PEM file. */
  crt: string;
  /** Path of its private key PEM file (unencrypted). */
  key: string;
  /** Path of the CA (bundle) that must have issued the certificate; checked before a pair goes live. */
  ca?: string;
  /** @default DEFAULT_WATCH_POLL_INTERVAL_MS */
  pollIntervalMs?: number;
  /** @default DEFAULT_WATCH_SETTLE_MS */
  settleMs?: number;
  /** @default the connection's logger once attached, else stderr for warnings */
  logger?: CertificateWatcherLogger;
}

/** Why a candidate pair was not taken. */
export interface RejectedPair {
  problems: CertificateProblem[];
}

/**
 * Called with each new pair. Returning (or resolving to) `false` says the listener refused
 * the pair and reported why itself (a connection whose test handshake failed); the watcher
 * then does not announce the pair as loaded.
 */
type ChangeListener = (pair: CertificatePair, info: CertificatePairInfo) => void | boolean | Promise<void | boolean>;
type RejectListener = (rejected: RejectedPair) => void;

const SOURCE_MARKER = Symbol.for('bastion.certificate-source');

/** Whether `value` is a {@link CertificateWatcher} (works across copies of the module). */
export function isCertificateSource(value: unknown): value is CertificateWatcher {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SOURCE_MARKER] === true;
}

/** Until a connection attaches its own: the process-wide logger. */
const stderrLogger: CertificateWatcherLogger = processLogger;

function sha256(...parts: Buffer[]): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/**
 * Checks a candidate pair as a TLS client identity; returns the problems (none when good).
 * Never throws for bad material and never puts PEM text in a message.
 */
export function checkClientPair(crt: Buffer, key: Buffer, caPem?: Buffer, at = new Date()): { problems: CertificateProblem[]; info?: CertificatePairInfo } {
  try {
    const result = verifyCertificate({
      certPem: crt.toString('utf8'),
      keyPem: key.toString('utf8'),
      caPems: caPem ? [caPem.toString('utf8')] : undefined,
      purpose: 'client',
      at,
      clockSkewMs: 0,
    });
    const info = pairInfo(crt);
    return { problems: result.problems, info };
  } catch (err) {
    return { problems: [{ code: 'UNREADABLE', message: err instanceof Error ? err.message : String(err) }] };
  }
}

/** Subject, issuer, fingerprint and validity of the first certificate in `crt`. */
export function pairInfo(crt: Buffer | string): CertificatePairInfo {
  const c = describeCertificate(parseCertificate('crt', splitPem('crt', crt)[0]!));
  return {
    subject: c.subject,
    issuer: c.issuer,
    fingerprint256: c.fingerprint256,
    notBefore: new Date(c.notBefore),
    notAfter: new Date(c.notAfter),
    serialNumber: c.serialNumber,
  };
}

/**
 * A client certificate pair kept in step with its files. Pass it as
 * `tls.clientCertPair` of `Connection.connect`; the connection switches to each new pair
 * without dropping calls. `close()` stops watching (the connection does it on close).
 */
export class CertificateWatcher {
  /** The files watched. */
  readonly files: Readonly<{ crt: string; key: string; ca?: string }>;
  #pair: CertificatePair;
  private infoValue: CertificatePairInfo;
  private digest: string;
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly rejectListeners = new Set<RejectListener>();
  private readonly watchers: fs.FSWatcher[] = [];
  private readonly poll: NodeJS.Timeout;
  private settleTimer: NodeJS.Timeout | undefined;
  private logger: CertificateWatcherLogger;
  private readonly explicitLogger: boolean;
  private readonly settleMs: number;
  private closed = false;
  private reloads = 0;

  /** @internal use {@link watchCertificateFiles} */
  constructor(options: WatchCertificateFilesOptions) {
    Object.defineProperty(this, SOURCE_MARKER, { value: true });
    for (const name of ['crt', 'key'] as const) {
      if (typeof options?.[name] !== 'string' || options[name].trim() === '') {
        throw new CertsError(
          'ERR_CERTS_INVALID_OPTION',
          `\`watchCertificateFiles({ ${name} })\` must be the path of a PEM file; got ${typeof options?.[name]}.`,
        );
      }
    }
    if (options.ca !== undefined && (typeof options.ca !== 'string' || options.ca.trim() === '')) {
      throw new CertsError('ERR_CERTS_INVALID_OPTION', '`watchCertificateFiles({ ca })` must be the path of a PEM file when given.');
    }
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_WATCH_POLL_INTERVAL_MS;
    this.settleMs = options.settleMs ?? DEFAULT_WATCH_SETTLE_MS;
    for (const [name, v] of [
      ['pollIntervalMs', pollIntervalMs],
      ['settleMs', this.settleMs],
    ] as const) {
      if (!Number.isFinite(v) || v < 0 || (name === 'pollIntervalMs' && v < 10)) {
        throw new CertsError(
          'ERR_CERTS_INVALID_OPTION',
          `\`watchCertificateFiles({ ${name} })\` must be a number of milliseconds${name === 'pollIntervalMs' ? ' of at least 10' : ''}; got ${String(v)}.`,
        );
      }
    }
    this.files = Object.freeze({ crt: path.resolve(options.crt), key: path.resolve(options.key), ...(options.ca ? { ca: path.resolve(options.ca) } : {}) });
    this.logger = options.logger ?? stderrLogger;
    this.explicitLogger = options.logger !== undefined;

    const first = this.readCandidate();
    if ('error' in first) {
      throw new CertsError('ERR_CERTS_WATCH', `\`watchCertificateFiles\` could not read the initial pair: ${first.error}`);
    }
    const checked = checkClientPair(first.crt, first.key, first.ca);
    if (checked.problems.length > 0 || !checked.info) {
      throw new CertsError(
        'ERR_CERTS_WATCH',
        `\`watchCertificateFiles\`: the pair in ${this.files.crt} and ${this.files.key} cannot be used as a client certificate: ${checked.problems.map((p) => p.message).join(' ')}`,
      );
    }
    this.#pair = freezePair(first.crt, first.key);
    this.infoValue = checked.info;
    this.digest = first.digest;

    // Watch the folders, not the files: an atomic rename or a `..data` symlink swap
    // replaces the directory entry, and a watch on the old file would go silent.
    const dirs = new Set([this.files.crt, this.files.key, ...(this.files.ca ? [this.files.ca] : [])].map((f) => path.dirname(f)));
    for (const dir of dirs) {
      try {
        const w = fs.watch(dir, { persistent: false }, () => this.scheduleCheck());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // Polling still covers folders that cannot be watched.
      }
    }
    this.poll = setInterval(() => this.check(), pollIntervalMs);
    this.poll.unref();
  }

  /** The pair in force. */
  current(): CertificatePair {
    return this.#pair;
  }

  /** The certificate in force (so a watcher can stand wherever a `{ crt, key }` pair is read). */
  get crt(): Buffer {
    return this.#pair.crt;
  }

  /** The private key in force. */
  get key(): Buffer {
    return this.#pair.key;
  }

  /** Subject, fingerprint and validity of the pair in force. */
  info(): CertificatePairInfo {
    return { ...this.infoValue };
  }

  /**
   * How many times the watcher has read and judged the files (polls, file events, rechecks,
   * `reload()`), whatever it found. Lets a caller (or a test) know the watcher has looked
   * since a change, before concluding that nothing went live.
   */
  get checkCount(): number {
    return this.checks;
  }

  /** How many times a new pair went live since the watcher started. */
  get reloadCount(): number {
    return this.reloads;
  }

  /** Calls `listener` with each new pair after it passed the checks; returns an unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls `listener` when a changed pair stays invalid (reported once per content). */
  onReject(listener: RejectListener): () => void {
    this.rejectListeners.add(listener);
    return () => this.rejectListeners.delete(listener);
  }

  /** @internal the connection gives its logger unless the user gave one. */
  attachLogger(logger: CertificateWatcherLogger): void {
    if (!this.explicitLogger) this.logger = logger;
  }

  /** Re-reads the files now; resolves once any new pair has been handed to the listeners. */
  async reload(): Promise<boolean> {
    return this.check();
  }

  /** Stops watching. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.settleTimer);
    clearTimeout(this.recheckTimer);
    for (const w of this.watchers) w.close();
    this.changeListeners.clear();
    this.rejectListeners.clear();
  }

  /** The key never shows in `util.inspect` or logs of the watcher. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CertificateWatcher { crt: ${this.files.crt}, key: ${this.files.key}, subject: ${this.infoValue.subject}, notAfter: ${this.infoValue.notAfter.toISOString()} }`;
  }

  toJSON(): object {
    return { files: this.files, ...this.info() };
  }

  private scheduleCheck(): void {
    if (this.closed) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => void this.check(), this.settleMs);
    this.settleTimer.unref();
  }

  private readCandidate(): { crt: Buffer; key: Buffer; ca?: Buffer; digest: string } | { error: string } {
    const read = (file: string): Buffer => fs.readFileSync(file);
    try {
      const crt = read(this.files.crt);
      const key = read(this.files.key);
      const ca = this.files.ca ? read(this.files.ca) : undefined;
      return { crt, key, ca, digest: sha256(crt, key, ca ?? Buffer.alloc(0)) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { error: `${e.code ?? 'read error'} reading ${e.path ?? 'a watched file'}` };
    }
  }

  private checks = 0;

  private async check(): Promise<boolean> {
    if (this.closed) return false;
    this.checks++;
    const candidate = this.readCandidate();
    if ('error' in candidate) {
      // A file missing for a moment is normal during a swap: report only if it stays so.
      this.holdBack(`read:${candidate.error}`, [{ code: 'UNREADABLE', message: `The files could not be read (${candidate.error}).` }]);
      return false;
    }
    if (candidate.digest === this.digest) {
      this.pending = undefined;
      return false;
    }
    const checked = checkClientPair(candidate.crt, candidate.key, candidate.ca);
    if (checked.problems.length > 0 || !checked.info) {
      // The writer may be between the two files: a pair must fail twice to be reported.
      this.holdBack(candidate.digest, checked.problems);
      return false;
    }
    this.pending = undefined;
    this.#pair = freezePair(candidate.crt, candidate.key);
    this.infoValue = checked.info;
    this.digest = candidate.digest;
    this.reloads++;
    const { subject, fingerprint256, notAfter } = checked.info;
    // Announce the pair only once its users took it: a connection may still refuse it.
    let taken = true;
    for (const listener of [...this.changeListeners]) {
      try {
        if ((await listener(this.#pair, this.info())) === false) taken = false;
      } catch (err) {
        taken = false;
        this.logger.warn('a listener of the certificate watcher failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (taken)
      this.logger.info('client certificate files changed; new pair loaded', {
        subject,
        fingerprint256,
        notAfter: notAfter.toISOString(),
        file: this.files.crt,
      });
    return true;
  }

  private pending: string | undefined;
  private reported: string | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;

  /** First sight of a bad state: look again shortly. Second sight: report it (once). */
  private holdBack(key: string, problems: CertificateProblem[]): void {
    if (this.pending !== key) {
      this.pending = key;
      clearTimeout(this.recheckTimer);
      this.recheckTimer = setTimeout(() => void this.check(), Math.max(this.settleMs * 5, 250));
      this.recheckTimer.unref();
      return;
    }
    if (this.reported === key) return;
    this.reported = key;
    this.logger.warn('new client certificate files were not loaded; the previous pair stays in force', {
      crt: this.files.crt,
      key: this.files.key,
      problems: problems.map((p) => p.message),
    });
    for (const listener of [...this.rejectListeners]) listener({ problems });
  }
}

function freezePair(crt: Buffer, key: Buffer): CertificatePair {
  const pair = { crt } as { crt: Buffer; key: Buffer };
  Object.defineProperty(pair, 'key', { value: key, enumerable: false });
  // util.inspect (showHidden too) and JSON.stringify show the certificate's size, never the key.
  defineRedactedView(pair, 'CertificatePair', (p) => ({ crt: `[certificate, ${p.crt.length} bytes]`, key: REDACTED }));
  return Object.freeze(pair);
}

/**
 * Watches a client certificate and key and keeps a connection on the newest valid pair.
 *
 * ```ts
 * const connection = await Connection.connect({
 *   address: 'ns.acct.tmprl.cloud:7233',
 *   tls: { clientCertPair: watchCertificateFiles({ crt: '/var/run/secrets/temporal/tls.crt', key: '/var/run/secrets/temporal/tls.key' }) },
 * });
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` for bad options; `ERR_CERTS_WATCH` when the
 *   files cannot be read now or do not hold a usable client pair
 */
export function watchCertificateFiles(options: WatchCertificateFilesOptions): CertificateWatcher {
  return new CertificateWatcher(options);
}
