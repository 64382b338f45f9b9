/**
 * Task tokens and history page tokens of the dev server: opaque to workers, JSON inside,
 * and sealed with an HMAC-SHA256 under a per-server secret, so a caller can neither forge
 * one nor edit the namespace or run it names. The secret lives in the store (persisted
 * with `--db-filename`, so tokens survive a restart; random per process in memory).
 *
 * Wire form (base64): `0x01 | JSON body | HMAC-SHA256(secret, purpose | 0x00 | 0x01 | body)`.
 * The purpose keeps a task token from being replayed as a page token and the reverse.
 *
 * Refusals follow Temporal Server's namespace validator: a missing, malformed, forged or
 * wrong-kind token is INVALID_ARGUMENT; a token whose namespace differs from the request's
 * non-empty `namespace` is INVALID_ARGUMENT ("Operation requested with a token from a
 * different namespace"); an empty request namespace takes the token's, which the API key
 * must then be granted (PERMISSION_DENIED otherwise, checked in service.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from './service-error';

/** Bytes of the per-server token secret. @default 32 */
export const TOKEN_SECRET_BYTES = 32;
const VERSION = 0x01;
const MAC_BYTES = 32;

type Purpose = 'task' | 'history-page';

/** A fresh random token secret. */
export function newTokenSecret(): Buffer {
  return randomBytes(TOKEN_SECRET_BYTES);
}

/** Seals and opens tokens under one secret. */
export class TokenSealer {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (!Buffer.isBuffer(secret) || secret.length < TOKEN_SECRET_BYTES) throw new RangeError(`the token secret must be at least ${TOKEN_SECRET_BYTES} bytes`);
    this.#secret = Buffer.from(secret);
  }

  #mac(purpose: Purpose, versionAndBody: Buffer): Buffer {
    return createHmac('sha256', this.#secret)
      .update(purpose)
      .update(Buffer.from([0]))
      .update(versionAndBody)
      .digest();
  }

  /** The base64 token for `body`. */
  seal(purpose: Purpose, body: object): string {
    const versionAndBody = Buffer.concat([Buffer.from([VERSION]), Buffer.from(JSON.stringify(body))]);
    return Buffer.concat([versionAndBody, this.#mac(purpose, versionAndBody)]).toString('base64');
  }

  /** The body of a token this sealer issued for `purpose`, or `undefined` for anything else. */
  open(purpose: Purpose, token: unknown): Record<string, unknown> | undefined {
    if (typeof token !== 'string' || token.length === 0) return undefined;
    const bytes = Buffer.from(token, 'base64');
    if (bytes.length <= 1 + MAC_BYTES || bytes[0] !== VERSION) return undefined;
    const versionAndBody = bytes.subarray(0, bytes.length - MAC_BYTES);
    const mac = bytes.subarray(bytes.length - MAC_BYTES);
    if (!timingSafeEqual(mac, this.#mac(purpose, versionAndBody))) return undefined;
    try {
      const body = JSON.parse(versionAndBody.subarray(1).toString('utf8'));
      return body && typeof body === 'object' && !Array.isArray(body) ? body : undefined;
    } catch {
      return undefined;
    }
  }
}

/** What a task token names: kind (workflow, activity, query task), namespace, run, and the attempt. */
export interface TaskToken {
  k: 'w' | 'a' | 'q';
  /** Namespace name. */
  n: string;
  /** Run id. */
  r: string;
  /** Scheduled event id. */
  s: number;
  /** Attempt. */
  a: number;
  /** Started event id (workflow tasks). */
  t?: number;
  /** Query id (query tasks). */
  q?: string;
}

const KIND_NAMES: Record<TaskToken['k'], string> = { w: 'workflow task', a: 'activity task', q: 'query task' };

/** Which token each WorkflowService method takes in `taskToken`. */
export const TASK_TOKEN_METHODS: Readonly<Record<string, TaskToken['k']>> = {
  RespondWorkflowTaskCompleted: 'w',
  RespondWorkflowTaskFailed: 'w',
  RespondQueryTaskCompleted: 'q',
  RecordActivityTaskHeartbeat: 'a',
  RespondActivityTaskCompleted: 'a',
  RespondActivityTaskFailed: 'a',
  RespondActivityTaskCanceled: 'a',
};

export function encodeTaskToken(sealer: TokenSealer, t: TaskToken): string {
  return sealer.seal('task', t);
}

/**
 * The task token of a request, checked: issued by this server, of `kind`, and of the
 * request's namespace when the request names one.
 * @throws ServiceError INVALID_ARGUMENT, as Temporal Server answers
 */
export function openTaskToken(sealer: TokenSealer, token: unknown, kind: TaskToken['k'], namespace?: unknown): TaskToken {
  if (typeof token !== 'string' || token.length === 0) throw invalidArgument('Task token not set on request: `taskToken` is required.');
  const t = sealer.open('task', token) as Partial<TaskToken> | undefined;
  if (!t || typeof t.n !== 'string' || typeof t.r !== 'string' || typeof t.s !== 'number' || typeof t.a !== 'number' || !(t.k! in KIND_NAMES)) {
    throw invalidArgument(
      'Error deserializing task token: `taskToken` was not issued by this server, or was altered. Pass the token exactly as the poll returned it.',
    );
  }
  if (t.k !== kind) throw invalidArgument(`\`taskToken\` is a ${KIND_NAMES[t.k!]} token; this call needs a ${KIND_NAMES[kind]} token.`);
  if (typeof namespace === 'string' && namespace !== '' && namespace !== t.n) {
    throw invalidArgument('Operation requested with a token from a different namespace: `taskToken` was issued for another namespace than `namespace`.');
  }
  return t as TaskToken;
}

/** What a history page token names: the namespace, the run, the next event id and the last one to return (0: up to the end). */
export interface HistoryPageToken {
  n: string;
  r: string;
  next: number;
  last: number;
}

export function encodePageToken(sealer: TokenSealer, namespace: string, runId: string, next: number, last: number): string {
  return sealer.seal('history-page', { n: namespace, r: runId, next, last } satisfies HistoryPageToken);
}

/**
 * A history page token issued by this server for a run of `namespace`.
 * @throws ServiceError INVALID_ARGUMENT for a forged, altered or foreign token
 */
export function openPageToken(sealer: TokenSealer, token: unknown, namespace: string): HistoryPageToken {
  const t = sealer.open('history-page', token) as Partial<HistoryPageToken> | undefined;
  if (!t || typeof t.n !== 'string' || typeof t.r !== 'string' || !Number.isInteger(t.next) || !Number.isInteger(t.last) || t.next! < 1 || t.last! < 0) {
    throw invalidArgument(
      '`nextPageToken` is not a page token issued by this server (or was altered). Pass the token exactly as the previous page returned it.',
    );
  }
  if (t.n !== namespace) throw invalidArgument('`nextPageToken` was issued for another namespace than `namespace`.');
  return t as HistoryPageToken;
}
