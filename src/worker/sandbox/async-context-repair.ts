/**
 * When a vm timeout terminates workflow code in the middle of a promise job, Node never
 * runs that job's async-hooks "after" step, so the async id stack keeps entries that
 * should have been popped; the next native callback then aborts the whole process
 * ("Assertion failed: (env_->execution_async_id()) == (0)"). After a timeout we pop the
 * leaked entries until the stack is back where it was before the call.
 */
import { executionAsyncId } from 'node:async_hooks';

interface AsyncWrapBinding {
  popAsyncContext(asyncId: number): boolean;
}

let binding: AsyncWrapBinding | null | undefined;

function asyncWrap(): AsyncWrapBinding | null {
  if (binding !== undefined) return binding;
  // process.binding is deprecated; read it once without printing its warning.
  const emitWarning = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding('async_wrap') as Partial<AsyncWrapBinding>;
    binding = typeof b.popAsyncContext === 'function' ? (b as AsyncWrapBinding) : null;
  } catch {
    binding = null;
  } finally {
    process.emitWarning = emitWarning;
  }
  return binding;
}

/** The async id to restore to; take it right before calling into the sandbox. */
export function asyncIdBefore(): number {
  return executionAsyncId();
}

/** Pops async contexts left behind by terminated workflow code. */
export function repairAsyncContext(before: number): void {
  const b = asyncWrap();
  if (!b) return;
  for (let i = 0; i < 10_000 && executionAsyncId() !== before; i++) {
    if (!b.popAsyncContext(executionAsyncId())) break;
  }
}
