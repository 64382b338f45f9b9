/**
 * The official worker (Temporal's native Core) with and without `bastion-temporal/native`.
 * One process: the dev server with mutual TLS, a Bastion client driving `oneActivity`
 * workflows at a fixed number outstanding, and an official `@temporalio/worker` whose
 * connection is either the official `NativeConnection.connect` (phase `official`) or a
 * `connectNative` manager with the worker attached (phase `native`), steady or rotating
 * the client certificate through `setTlsConfig` every `--every` ms (phase `rotating`).
 * Phases alternate official / native / rotating, a new worker each. Prints one JSON object
 * on stdout.
 *
 * Usage: node dist/bench/native.bench.js [--seconds 5] [--runs 2] [--every 2000] [--concurrency 50]
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCertificateAuthority, issueCertificate, type IssuedCertificate } from '../certs';
import { Client } from '../src/client';
import { Connection } from '../src/connection';
import { DevServer } from '../src/testing';
import { connectNative, type NativeRotationEvent } from '../native';
import { benchActivities } from './fixtures/activities';
import { pct } from './bench-util';

type Kind = 'official' | 'native' | 'rotating';

interface PhaseResult {
  kind: Kind;
  workflows: number;
  throughput: number;
  p50: number;
  p99: number;
  rotations: number;
  /** Per rotation: validation to swap; connecting and proving the new connection; the `worker.connection =` swap. */
  rotationMs: number[];
  connectMs: number[];
  swapMs: number[];
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

async function main(): Promise<void> {
  const seconds = arg('seconds', 5);
  const runs = arg('runs', 2);
  const everyMs = arg('every', 2000);
  const concurrency = arg('concurrency', 50);
  const { Worker, NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } = await import('@temporalio/worker');
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const ca = await createCertificateAuthority({ commonName: 'Native bench CA', keyType: 'ecdsa-p256' });
  const serverCert = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const clients: IssuedCertificate[] = [];
  for (let i = 0; i < 6; i++) clients.push(await issueCertificate({ ca, profile: 'client', commonName: `native-bench-${i}` }));
  const server = await DevServer.start({ logLevel: 'off', tls: { cert: serverCert.certPem, key: serverCert.keyPem, clientCa: ca.certPem } });
  const tlsFor = (c: IssuedCertificate) => ({
    serverRootCACertificate: Buffer.from(ca.certPem),
    serverNameOverride: 'localhost',
    clientCertPair: { crt: Buffer.from(c.certPem), key: Buffer.from(c.keyPem) },
  });
  const clientConnection = await Connection.connect({ address: server.address, tls: tlsFor(clients[0]!), logger: silent });
  const client = new Client({ connection: clientConnection });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, 'fixtures/workflows.js'),
    logger: new DefaultLogger('ERROR'),
  });
  let seq = 0;
  let next = 1;

  async function phase(kind: Kind, runIndex: number): Promise<PhaseResult> {
    const taskQueue = `native-bench-${kind}-${runIndex}`;
    const manager =
      kind === 'official' ? undefined : await connectNative({ address: server.address, tls: tlsFor(clients[0]!), logger: silent, expiryWarningDays: [] });
    const connection = manager ? manager.connection : await NativeConnection.connect({ address: server.address, tls: tlsFor(clients[0]!) });
    const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities: benchActivities });
    const detach = manager?.attach(worker);
    const rotations: NativeRotationEvent[] = [];
    manager?.on('rotation', (e) => rotations.push(e));
    const latencies: number[] = [];
    let stop = false;
    const result = await worker.runUntil(async () => {
      const rotator = (async () => {
        while (kind === 'rotating' && !stop) {
          await new Promise((r) => setTimeout(r, everyMs));
          if (!stop) await manager!.setTlsConfig(tlsFor(clients[next++ % clients.length]!));
        }
      })();
      const end = Date.now() + seconds * 1000;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < end) {
            const t = performance.now();
            await client.workflow.execute('oneActivity', { taskQueue, workflowId: `nb-${process.pid}-${++seq}`, args: ['x'] });
            latencies.push(performance.now() - t);
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      stop = true;
      await rotator;
      return elapsed;
    });
    detach?.();
    if (manager) await manager.close();
    else await connection.close();
    latencies.sort((a, b) => a - b);
    return {
      kind,
      workflows: latencies.length,
      throughput: latencies.length / result,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      rotations: rotations.length,
      rotationMs: rotations.map((r) => r.durationMs),
      connectMs: rotations.map((r) => r.connectMs),
      swapMs: rotations.map((r) => r.swapMs),
    };
  }

  const results: PhaseResult[] = [];
  await phase('official', -1); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const kind of ['official', 'native', 'rotating'] as const) {
      const res = await phase(kind, r);
      results.push(res);
      process.stderr.write(
        `[native] run ${r + 1}/${runs} ${kind.padEnd(8)}: ${res.throughput.toFixed(0)} wf/s, p99 ${res.p99.toFixed(0)} ms${kind === 'rotating' ? `, ${res.rotations} rotations (swap max ${Math.max(0, ...res.swapMs).toFixed(2)} ms)` : ''}\n`,
      );
    }
  }
  await clientConnection.close();
  await server.close();
  process.stdout.write(`${JSON.stringify({ seconds, runs, everyMs, concurrency, results })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
