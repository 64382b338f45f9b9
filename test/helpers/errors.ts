/** Capturing the error a call throws or a promise rejects with, for assertions on `code` and message. */
import * as assert from 'uvu/assert';

/** An error as tests inspect it: a message, maybe a `code` (string for Bastion, number for gRPC) and gRPC `details`. */
export type CaughtError = Error & { code?: any; details?: string };

type ErrorClass<T> = abstract new (...args: never[]) => T;

/** The error `fn` throws (checked to be a `Type` when given); fails the test when it returns. */
export function thrown<T extends Error = CaughtError>(fn: () => unknown, Type?: ErrorClass<T>): T {
  try {
    fn();
  } catch (err) {
    if (Type) assert.ok(err instanceof Type, `expected a ${Type.name}, got ${String(err)}`);
    return err as T;
  }
  return assert.unreachable('expected a throw') as never;
}

/** The error `p` rejects with (or the function's promise, or its synchronous throw); checked to be a `Type` when given. */
export async function rejection<T extends Error = CaughtError>(p: Promise<unknown> | (() => unknown), Type?: ErrorClass<T>): Promise<T> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (Type) assert.ok(err instanceof Type, `expected a ${Type.name}, got ${String(err)}`);
    return err as T;
  }
  return assert.unreachable('expected a rejection') as never;
}
