/**
 * The body of a sandbox thread: holds workflow sandboxes and runs activations in them
 * on behalf of the worker's main thread (see thread-sandboxes.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WorkflowSandboxes } from './workflow-sandboxes';
import type { WorkflowSandbox } from './workflow-sandbox';

interface Request {
  id?: number;
  op: 'create' | 'activate' | 'call' | 'dispose';
  sid: number;
  method?: string;
  arg?: unknown;
  timeoutMs?: number;
}

const port = parentPort!;
const log = (level: string) => (message: string, meta?: object) => port.postMessage({ op: 'log', level, message, meta });
const sandboxes = new WorkflowSandboxes(workerData.code as string, {
  logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  encodeCommonAttributes: workerData.encodeCommonAttributes === true,
  reuseContexts: workerData.reuseContexts !== false,
});
const live = new Map<number, WorkflowSandbox>();

function serializeError(err: unknown): object {
  const e = err as Error & { code?: string };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack, code: e?.code };
}

function sandbox(sid: number): WorkflowSandbox {
  const s = live.get(sid);
  if (!s) throw Object.assign(new Error(`sandbox ${sid} does not exist in this thread`), { code: 'ERR_ILLEGAL_STATE' });
  return s;
}

port.on('message', (req: Request) => {
  try {
    switch (req.op) {
      case 'create':
        live.set(req.sid, sandboxes.create());
        return;
      case 'dispose':
        live.get(req.sid)?.dispose();
        live.delete(req.sid);
        return;
      case 'call': {
        const value = sandbox(req.sid).call(req.method!, req.arg, req.timeoutMs);
        port.postMessage({ id: req.id, ok: true, value });
        return;
      }
      case 'activate': {
        // The whole activation in one round trip and one timed call: activate, settle conditions, conclude.
        const s = sandbox(req.sid);
        const value = s.runActivation(req.arg, req.timeoutMs);
        const rejection = s.unhandledRejection;
        port.postMessage({ id: req.id, ok: true, value, rejection: rejection ? serializeError(rejection) : undefined });
        return;
      }
    }
  } catch (err) {
    if (req.id !== undefined) port.postMessage({ id: req.id, ok: false, error: serializeError(err) });
    else port.postMessage({ op: 'log', level: 'error', message: 'sandbox thread operation failed', meta: { op: req.op, error: (err as Error)?.message } });
  }
});
