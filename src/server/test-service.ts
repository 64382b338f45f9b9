/**
 * Temporal's `TestService` (temporal.api.testservice.v1), served beside the
 * WorkflowService when the dev server runs with time skipping: lock and unlock time
 * skipping (counted, never below 0), sleep on the virtual clock, read its time. The
 * official `@temporalio/testing` calls it from `TestWorkflowEnvironment.createTimeSkipping()`
 * (unlock around each wait for a result, `sleep()`, `currentTimeMs()`).
 */
import * as grpc from '@grpc/grpc-js';
import { msFromProto, timestampFromMs } from '../common/proto';
import { UnbalancedUnlockError, type TimeSkippingClock } from './clock';
import type { Logger } from './logger';
import { unaryService, type ServedService } from './unary-service';

export const TEST_SERVICE_NAME = 'temporal.api.testservice.v1.TestService';

type Handler = (clock: TimeSkippingClock, req: Record<string, any>) => object | Promise<object>;

function sleepTarget(clock: TimeSkippingClock, req: Record<string, any>): number {
  const d = msFromProto(req.duration);
  if (d === undefined || d < 0) throw new RangeError('`duration` is required and must not be negative.');
  return clock.now() + d;
}

const HANDLERS: Record<string, Handler> = {
  LockTimeSkipping: (clock) => {
    clock.lock();
    return {};
  },
  UnlockTimeSkipping: (clock) => {
    clock.unlock();
    return {};
  },
  Sleep: async (clock, req) => {
    await clock.sleepUntil(sleepTarget(clock, req));
    return {};
  },
  SleepUntil: async (clock, req) => {
    const t = msFromProto(req.timestamp);
    if (t === undefined) throw new RangeError('`timestamp` is required.');
    await clock.sleepUntil(t);
    return {};
  },
  UnlockTimeSkippingWithSleep: async (clock, req) => {
    await clock.unlockWhileSleeping(sleepTarget(clock, req));
    return {};
  },
  GetCurrentTime: (clock) => ({ time: timestampFromMs(clock.now()) }),
};

function toStatus(err: unknown, method: string, logger: Logger): Partial<grpc.StatusObject> {
  if (err instanceof UnbalancedUnlockError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  if (err instanceof RangeError) return { code: grpc.status.INVALID_ARGUMENT, details: `TestService/${method}: ${err.message}` };
  logger.error('internal error', { method, error: (err as Error)?.stack ?? String(err) });
  return { code: grpc.status.INTERNAL, details: `internal error in TestService/${method}` };
}

/** grpc-js definition and implementation of the TestService over a time-skipping clock. */
export function testServiceFor(clock: TimeSkippingClock, logger: Logger): ServedService {
  return unaryService(
    TEST_SERVICE_NAME,
    (requestClass, bytes) => requestClass.decode(bytes),
    (m) => {
      const handler = HANDLERS[m.name];
      return (call: grpc.ServerUnaryCall<Record<string, any>, object>, callback: grpc.sendUnaryData<object>) => {
        if (!handler) {
          callback({ code: grpc.status.UNIMPLEMENTED, details: `TestService/${m.name} is not implemented by the Bastion dev server.` });
          return;
        }
        logger.debug('test service call', { method: m.name, lockCount: clock.lockCount });
        Promise.resolve()
          .then(() => handler(clock, call.request))
          .then(
            (r) => callback(null, r),
            (err) => callback(toStatus(err, m.name, logger)),
          );
      };
    },
  );
}
