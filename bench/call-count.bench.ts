/**
 * Counts the gRPC calls one SDK's worker and client make per workflow: runs the dev server
 * in this process with every WorkflowService handler wrapped in a counter (grpc-js
 * `Server.prototype.addService` patched before the server starts; nothing in src/ changes),
 * then runs `--size` one-activity workflows and reports the calls received per workflow, by
 * method. Counts are taken as calls arrive, so a long poll counts once whether or not it
 * returns a task. Timing here means nothing (everything shares one process).
 *
 * Usage: node dist/bench/call-count.bench.js --sdk bastion|official [--size N] [--concurrency N]
 * Prints one JSON line: `{ ok, perWorkflow, byMethod }`.
 */
import * as grpc from '@grpc/grpc-js';
import { pool, flags } from './bench-util';
import { connectClient, createWorker, type Sdk } from './bench-stack';

const counts = new Map<string, number>();
let counting = false;
const originalAddService = grpc.Server.prototype.addService;
grpc.Server.prototype.addService = function addService(this: grpc.Server, service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    wrapped[name] = function counted(this: unknown, ...args: unknown[]) {
      if (counting) counts.set(name, (counts.get(name) ?? 0) + 1);
      return (handler as (...a: unknown[]) => unknown).apply(this, args);
    } as never;
  }
  return originalAddService.call(this, service, wrapped);
};

async function main(): Promise<void> {
  const get = flags(process.argv.slice(2));
  const sdk = get('sdk') as Sdk;
  const size = Number(get('size') ?? 100);
  const concurrency = Number(get('concurrency') ?? 10);
  if (sdk !== 'bastion' && sdk !== 'official') throw new Error('`--sdk` must be `bastion` or `official`.');
  const { DevServer } = await import('../src/server/dev-server');
  const server = await DevServer.start({ port: 0, logLevel: 'error' });
  const taskQueue = `bench-count-${process.pid}`;
  const opts = { address: server.address };
  const worker = await createWorker(sdk, opts, taskQueue);
  const client = await connectClient(sdk, opts);
  await worker.runUntil(async () => {
    await pool(20, 10, (i) => client.execute('oneActivity', `warm-${i}`, taskQueue, ['x']));
    counting = true;
    await pool(size, concurrency, (i) => client.execute('oneActivity', `count-${i}`, taskQueue, ['x']));
    counting = false;
  });
  const byMethod = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([m, n]) => [m, n / size]));
  const perWorkflow = [...counts.values()].reduce((a, b) => a + b, 0) / size;
  process.stdout.write(JSON.stringify({ ok: true, sdk, size, concurrency, perWorkflow, byMethod }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
