/**
 * Opening an official `NativeConnection` for Bastion's compiled options: within
 * `connectTimeout` (or until a signal aborts), then proven with one `GetSystemInfo` call.
 */
import type { NativeConnection } from '@temporalio/worker';
import type { CompiledConnectionOptions } from '../src/connection/connection-options';
import { nativeTls } from './native-tls';
import { loadOfficialWorker } from './peer';

/** Rejects after `ms` (or when `signal` aborts); a connection that arrives later is closed. */
async function connectWithin(options: Parameters<typeof NativeConnection.connect>[0], ms: number, signal?: AbortSignal): Promise<NativeConnection> {
  signal?.throwIfAborted();
  const { NativeConnection: Native } = loadOfficialWorker();
  const pending = Native.connect(options);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const abandon = (): void => void pending.then((late) => late.close()).catch(() => undefined);
  try {
    return await Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandon();
          reject(Object.assign(new Error(`no connection within \`connectTimeout\` (${ms} ms)`), { code: 'DEADLINE_EXCEEDED' }));
        }, ms);
        onAbort = () => {
          abandon();
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Connects the official `NativeConnection` and proves it with one `GetSystemInfo` call.
 * @throws the cause (Core's `TransportError`, a gRPC error, a timeout, the abort reason)
 */
export async function openProven(options: CompiledConnectionOptions, signal?: AbortSignal): Promise<{ connection: NativeConnection; ms: number }> {
  const started = performance.now();
  const connection = await connectWithin(
    {
      address: options.address,
      tls: nativeTls(options.tls),
      ...(typeof options.apiKey === 'string' ? { apiKey: options.apiKey } : {}),
      ...(Object.keys(options.metadata).length > 0 ? { metadata: { ...options.metadata } } : {}),
    },
    options.connectTimeoutMs,
    signal,
  );
  try {
    await connection.withDeadline(Date.now() + options.connectTimeoutMs, () => connection.workflowService.getSystemInfo({}));
    signal?.throwIfAborted();
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  return { connection, ms: performance.now() - started };
}
