/**
 * The floor: a bare grpc-js unary round trip on loopback, client and server in two
 * processes, with a 200-byte message: the cheapest call any worker or client built on
 * grpc-js can make to a grpc-js server on this machine.
 *
 * Usage: node dist/bench/floor.bench.js --serve                      (prints `{"port":N}`, serves until killed)
 *        node dist/bench/floor.bench.js --address HOST:PORT [--calls N] [--concurrency N]
 * The client prints one JSON line: `{ ok, sequentialUs, callsPerSec, concurrency }`.
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { pool, flags } from './bench-util';

const PATH = '/bastion.bench.Floor/Echo';
const identity = (b: Buffer) => b;
const definition: grpc.ServiceDefinition = {
  Echo: {
    path: PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'Echo',
  },
};

async function serve(): Promise<void> {
  const server = new grpc.Server();
  server.addService(definition, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  process.stdout.write(JSON.stringify({ port }) + '\n');
  process.on('SIGTERM', () => server.forceShutdown());
}

async function drive(address: string, calls: number, concurrency: number): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const message = Buffer.alloc(200, 7);
  const call = () =>
    new Promise<void>((resolve, reject) => client.makeUnaryRequest(PATH, identity, identity, message, (err) => (err ? reject(err) : resolve())));
  for (let i = 0; i < 200; i++) await call(); // warm-up
  const sequential = Math.max(200, Math.floor(calls / 10));
  let t0 = performance.now();
  for (let i = 0; i < sequential; i++) await call();
  const sequentialUs = ((performance.now() - t0) * 1000) / sequential;
  t0 = performance.now();
  await pool(calls, concurrency, () => call());
  const callsPerSec = calls / ((performance.now() - t0) / 1000);
  client.close();
  process.stdout.write(JSON.stringify({ ok: true, sequentialUs, callsPerSec, concurrency, calls }) + '\n');
}

const argv = process.argv.slice(2);
const get = flags(argv);
(argv.includes('--serve') ? serve() : drive(get('address')!, Number(get('calls') ?? 20000), Number(get('concurrency') ?? 50))).catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
