/**
 * The cost of a TLS rotation under load. One process: the dev server with mutual TLS, a
 * Bastion worker and client on one connection, `greet` workflows at a fixed number
 * outstanding. Phase A runs without rotations, phase B rotates the client certificate
 * every `--every` ms through `connection.setTlsConfig`; the phases alternate A B A B.
 * Meanwhile a probe issues `GetSystemInfo` back to back, so the longest wait of any call
 * across a switch is seen. Prints one JSON object on stdout.
 *
 * Usage: node dist/bench/rotation.bench.js [--seconds 4] [--runs 2] [--every 500] [--concurrency 50]
 */
import { createCertificateAuthority, issueCertificate, type IssuedCertificate } from '../certs';
import { Client } from '../src/client';
import { Connection } from '../src/connection';
import { DevServer } from '../src/testing';
import { Worker, bundleWorkflowCode } from '../src/worker';
import * as path from 'node:path';
import { pct } from './bench-util';

interface PhaseResult {
  rotating: boolean;
  workflows: number;
  throughput: number;
  p50: number;
  p99: number;
  maxWorkflowMs: number;
  probeMaxMs: number;
  probeP99Ms: number;
  rotations: number;
  rotationMsMax: number;
  rotationMsMedian: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

async function main(): Promise<void> {
  const seconds = arg('seconds', 4);
  const runs = arg('runs', 2);
  const everyMs = arg('every', 500);
  const concurrency = arg('concurrency', 50);
  const ca = await createCertificateAuthority({ commonName: 'Rotation bench CA', keyType: 'ecdsa-p256' });
  const serverCert = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const clients: IssuedCertificate[] = [];
  for (let i = 0; i < 8; i++) clients.push(await issueCertificate({ ca, profile: 'client', commonName: `bench-worker-${i}` }));
  const server = await DevServer.start({ logLevel: 'off', tls: { cert: serverCert.certPem, key: serverCert.keyPem, clientCa: ca.certPem } });
  const tlsFor = (c: IssuedCertificate) => ({
    serverRootCACertificate: ca.certPem,
    serverNameOverride: 'localhost',
    clientCertPair: { crt: c.certPem, key: c.keyPem },
  });
  const connection = await Connection.connect({ address: server.address, tls: tlsFor(clients[0]!), logger: silent });
  const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../test/fixtures/workflows.js'), logger: silent });
  const activities = { greet: async (name: string) => `Hello, ${name}!` };
  const worker = await Worker.create({
    connection,
    taskQueue: 'rotation-bench',
    workflowBundle: bundle,
    activities,
    shutdownSignals: [],
    logger: silent,
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  const client = new Client({ connection });
  let next = 1;
  let seq = 0;

  async function phase(rotating: boolean): Promise<PhaseResult> {
    const latencies: number[] = [];
    const probe: number[] = [];
    const rotationMs: number[] = [];
    const end = Date.now() + seconds * 1000;
    let stop = false;
    const probing = (async () => {
      while (!stop) {
        const t = performance.now();
        await connection.workflowService.getSystemInfo({});
        probe.push(performance.now() - t);
      }
    })();
    const rotator = (async () => {
      while (rotating && !stop) {
        await new Promise((r) => setTimeout(r, everyMs));
        if (stop) break;
        const t = performance.now();
        await connection.setTlsConfig(tlsFor(clients[next++ % clients.length]!));
        rotationMs.push(performance.now() - t);
      }
    })();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < end) {
          const t = performance.now();
          await client.workflow.execute('greet', { taskQueue: 'rotation-bench', workflowId: `rb-${process.pid}-${++seq}`, args: ['x'] });
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    stop = true;
    await Promise.all([probing, rotator]);
    latencies.sort((a, b) => a - b);
    probe.sort((a, b) => a - b);
    rotationMs.sort((a, b) => a - b);
    return {
      rotating,
      workflows: latencies.length,
      throughput: latencies.length / elapsed,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      maxWorkflowMs: latencies[latencies.length - 1] ?? 0,
      probeMaxMs: probe[probe.length - 1] ?? 0,
      probeP99Ms: pct(probe, 99),
      rotations: rotationMs.length,
      rotationMsMax: rotationMs[rotationMs.length - 1] ?? 0,
      rotationMsMedian: pct(rotationMs, 50),
    };
  }

  const results: PhaseResult[] = [];
  await phase(false); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const rotating of [false, true]) {
      const result = await phase(rotating);
      results.push(result);
      process.stderr.write(
        `[rotation] run ${r + 1}/${runs} ${rotating ? 'rotating' : 'steady  '}: ${result.throughput.toFixed(0)} wf/s, p99 ${result.p99.toFixed(0)} ms, probe max ${result.probeMaxMs.toFixed(1)} ms, ${result.rotations} rotations (max ${result.rotationMsMax.toFixed(1)} ms)\n`,
      );
    }
  }
  void worker.shutdown();
  await running;
  await connection.close();
  await server.close();
  process.stdout.write(`${JSON.stringify({ seconds, runs, everyMs, concurrency, results })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
