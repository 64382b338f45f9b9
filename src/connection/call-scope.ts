/**
 * Call scopes: `withDeadline`, `withMetadata` and `withAbortSignal` set a deadline, headers
 * or an abort signal for every call made inside a callback, through `AsyncLocalStorage`,
 * as `@temporalio/client`'s `Connection` does. This is what lets the official Client's
 * `client.withDeadline(…)` work over a Bastion `Connection`. Scopes nest: an inner deadline
 * or signal replaces the outer one, inner metadata is merged over the outer.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Metadata, status } from '@grpc/grpc-js';
import { invalidOption } from '../common/errors';
import { parsePositiveDuration } from '../common/duration';
import type { CallOptions, UnaryMethod } from './workflow-service';

/** What the scopes around a call set for it. */
export interface CallScope {
  /** A point in time (a `Date`, or milliseconds since the epoch) after which calls fail with `DEADLINE_EXCEEDED`. */
  deadline?: number | Date;
  /** Headers set on every call, over the connection's own. */
  metadata?: Record<string, string | Buffer>;
  /** Cancels calls in flight (they fail with `CANCELLED`) and refuses new ones. */
  abortSignal?: AbortSignal;
}

/** A plugin of the official `Connection`; a Bastion `Connection` carries none (`plugins` is empty). */
export interface ConnectionPlugin {
  readonly name: string;
}

type Call = (method: UnaryMethod, request: unknown, options: CallOptions | undefined) => Promise<object>;

/** An error shaped as grpc-js's `ServiceError` (`code`, `details`, `metadata`), as the official Client expects. */
function serviceError(code: status, details: string, cause?: unknown): Error {
  const error = new Error(`${code} ${status[code]}: ${details}`, cause === undefined ? undefined : { cause });
  return Object.assign(error, { code, details, metadata: new Metadata() });
}

/** The `AsyncLocalStorage` behind a connection's scopes, and the wrapper that applies them to its calls. */
export class CallScopes {
  private readonly storage = new AsyncLocalStorage<CallScope>();
  #released = false;

  /**
   * Lets go of the storage when its connection closes: once used, an `AsyncLocalStorage`
   * stays in Node's process-wide list of enabled ones (visited whenever an async resource
   * is made) until disabled. Scopes already running lose their values, as their calls fail
   * with `ERR_CONNECTION_CLOSED` anyway.
   */
  release(): void {
    this.#released = true;
    this.storage.disable();
  }

  /** The scope in force for a call made now (`undefined` outside every scope). */
  current(): CallScope | undefined {
    return this.storage.getStore();
  }

  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    const ms = deadline instanceof Date ? deadline.getTime() : deadline;
    if (typeof ms !== 'number' || !Number.isFinite(ms))
      throw invalidOption('deadline', 'of `withDeadline` must be a `Date` or a number of milliseconds since the epoch, e.g. `Date.now() + 5000`.');
    return this.run({ deadline: ms }, fn);
  }

  withMetadata<R>(metadata: Record<string, string | Buffer>, fn: () => Promise<R>): Promise<R> {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      throw invalidOption('metadata', 'of `withMetadata` must be an object of header names to string (or, for `-bin` headers, Buffer) values.');
    for (const [name, value] of Object.entries(metadata)) {
      if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw invalidOption(`metadata.${name}`, 'of `withMetadata` must be a string or a Buffer.');
    }
    return this.run({ metadata: { ...this.current()?.metadata, ...metadata } }, fn);
  }

  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    if (!(abortSignal instanceof AbortSignal))
      throw invalidOption('abortSignal', 'of `withAbortSignal` must be an `AbortSignal`, e.g. `new AbortController().signal`.');
    return this.run({ abortSignal }, fn);
  }

  private async run<R>(scope: CallScope, fn: () => Promise<R>): Promise<R> {
    if (typeof fn !== 'function') throw invalidOption('fn', 'must be a function whose calls the scope applies to.');
    // A closed connection's calls fail anyway; running fn outside the storage keeps it disabled.
    if (this.#released) return await fn();
    return await this.storage.run({ ...this.current(), ...scope }, fn);
  }

  /**
   * Wraps a call function so each call made inside a scope gets the scope's deadline (the
   * earlier of it and the call's own `timeout`), metadata (under the call's own) and abort
   * signal (with the call's own). A deadline already past fails the call at once with
   * `DEADLINE_EXCEEDED`; an aborted scope fails it with `CANCELLED`, `cause` holding the reason.
   */
  wrap(call: Call): Call {
    return async (method, request, options) => {
      const scope = this.current();
      if (!scope) return await call(method, request, options);
      const merged: CallOptions = { ...options };
      if (scope.deadline !== undefined) {
        const remaining = Number(scope.deadline) - Date.now();
        if (remaining <= 0) throw serviceError(status.DEADLINE_EXCEEDED, `Deadline exceeded before ${method.name} was sent (set by \`withDeadline\`).`);
        merged.timeout = options?.timeout === undefined ? remaining : Math.min(remaining, parsePositiveDuration(options.timeout, 'timeout'));
      }
      if (scope.metadata) merged.metadata = { ...scope.metadata, ...options?.metadata };
      const abort = scope.abortSignal;
      if (abort) merged.signal = options?.signal ? AbortSignal.any([abort, options.signal]) : abort;
      try {
        return await call(method, request, merged);
      } catch (err) {
        if (abort?.aborted && err === abort.reason) throw serviceError(status.CANCELLED, `${method.name} cancelled by the signal of \`withAbortSignal\`.`, err);
        throw err;
      }
    };
  }
}
