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
import { createCertificateAuthority, issueCertificate, type IssuedCertificate } from '../certs';
import { Client } from '../src/client';
import { Connection } from '../src/connection';
import { DevServer } from '../src/testing';
import { connectNative, type NativeRotationEvent } from '../native';
import { benchActivities } from './fixtures/activities';
import { intFlags, quietLogger, runMain } from './bench-util';
import { alternatePhases, measureLoad, type LoadFigures } from './load-phases';

type Kind = 'official' | 'native' | 'rotating';

/** One phase: the load's figures (workflows as `count`, workflows/s as `perSecond`) and its rotations. */
interface PhaseResult extends LoadFigures {
  rotations: number;
  /** Per rotation: validation to swap; connecting and proving the new connection; the `worker.connection =` swap. */
  rotationMs: number[];
  connectMs: number[];
  swapMs: number[];
}

async function main(): Promise<void> {
  const num = intFlags(process.argv.slice(2));
  const seconds = num('seconds', 5);
  const runs = num('runs', 2);
  const everyMs = num('every', 2000);
  const concurrency = num('concurrency', 50);
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
  const clientConnection = await Connection.connect({ address: server.address, tls: tlsFor(clients[0]!), logger: quietLogger });
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
      kind === 'official' ? undefined : await connectNative({ address: server.address, tls: tlsFor(clients[0]!), logger: quietLogger, expiryWarningDays: [] });
    const connection = manager ? manager.connection : await NativeConnection.connect({ address: server.address, tls: tlsFor(clients[0]!) });
    const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities: benchActivities });
    const detach = manager?.attach(worker);
    const rotations: NativeRotationEvent[] = [];
    manager?.on('rotation', (e) => rotations.push(e));
    let stop = false;
    const load = await worker.runUntil(async () => {
      const rotator = (async () => {
        while (kind === 'rotating' && !stop) {
          await new Promise((r) => setTimeout(r, everyMs));
          if (!stop) await manager!.setTlsConfig(tlsFor(clients[next++ % clients.length]!));
        }
      })();
      const figures = await measureLoad({ concurrency, seconds }, () =>
        client.workflow.execute('oneActivity', { taskQueue, workflowId: `nb-${process.pid}-${++seq}`, args: ['x'] }),
      );
      stop = true;
      await rotator;
      return figures;
    });
    detach?.();
    if (manager) await manager.close();
    else await connection.close();
    return {
      ...load,
      rotations: rotations.length,
      rotationMs: rotations.map((r) => r.durationMs),
      connectMs: rotations.map((r) => r.connectMs),
      swapMs: rotations.map((r) => r.swapMs),
    };
  }

  const results = await alternatePhases({
    name: 'native',
    kinds: ['official', 'native', 'rotating'] as const,
    runs,
    phase,
    describe: (r) =>
      `${r.perSecond.toFixed(0)} wf/s, p99 ${r.p99.toFixed(0)} ms${r.rotations ? `, ${r.rotations} rotations (swap max ${Math.max(0, ...r.swapMs).toFixed(2)} ms)` : ''}`,
  });
  await clientConnection.close();
  await server.close();
  process.stdout.write(`${JSON.stringify({ seconds, runs, everyMs, concurrency, results })}\n`);
}

runMain(main);
