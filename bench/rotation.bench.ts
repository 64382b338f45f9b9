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
import { intFlags, pct, quietLogger, runMain } from './bench-util';
import { alternatePhases, measureLoad, type LoadFigures } from './load-phases';

/** One phase: the load's figures (workflows as `count`, workflows/s as `perSecond`, the longest as `max`) and the probe's and rotations'. */
interface PhaseResult extends LoadFigures {
  probeMaxMs: number;
  probeP99Ms: number;
  rotations: number;
  rotationMsMax: number;
  rotationMsMedian: number;
}

type Kind = 'steady' | 'rotating';

async function main(): Promise<void> {
  const num = intFlags(process.argv.slice(2));
  const seconds = num('seconds', 4);
  const runs = num('runs', 2);
  const everyMs = num('every', 500);
  const concurrency = num('concurrency', 50);
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
  const connection = await Connection.connect({ address: server.address, tls: tlsFor(clients[0]!), logger: quietLogger });
  const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../test/fixtures/workflows.js'), logger: quietLogger });
  const activities = { greet: async (name: string) => `Hello, ${name}!` };
  const worker = await Worker.create({
    connection,
    taskQueue: 'rotation-bench',
    workflowBundle: bundle,
    activities,
    shutdownSignals: [],
    logger: quietLogger,
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  const client = new Client({ connection });
  let next = 1;
  let seq = 0;

  async function phase(kind: Kind): Promise<PhaseResult> {
    const probe: number[] = [];
    const rotationMs: number[] = [];
    let stop = false;
    const probing = (async () => {
      while (!stop) {
        const t = performance.now();
        await connection.workflowService.getSystemInfo({});
        probe.push(performance.now() - t);
      }
    })();
    const rotator = (async () => {
      while (kind === 'rotating' && !stop) {
        await new Promise((r) => setTimeout(r, everyMs));
        if (stop) break;
        const t = performance.now();
        await connection.setTlsConfig(tlsFor(clients[next++ % clients.length]!));
        rotationMs.push(performance.now() - t);
      }
    })();
    const load = await measureLoad({ concurrency, seconds }, () =>
      client.workflow.execute('greet', { taskQueue: 'rotation-bench', workflowId: `rb-${process.pid}-${++seq}`, args: ['x'] }),
    );
    stop = true;
    await Promise.all([probing, rotator]);
    probe.sort((a, b) => a - b);
    rotationMs.sort((a, b) => a - b);
    return {
      ...load,
      probeMaxMs: probe[probe.length - 1] ?? 0,
      probeP99Ms: pct(probe, 99),
      rotations: rotationMs.length,
      rotationMsMax: rotationMs[rotationMs.length - 1] ?? 0,
      rotationMsMedian: pct(rotationMs, 50),
    };
  }

  const results = await alternatePhases({
    name: 'rotation',
    kinds: ['steady', 'rotating'] as const,
    runs,
    phase,
    describe: (r) =>
      `${r.perSecond.toFixed(0)} wf/s, p99 ${r.p99.toFixed(0)} ms, probe max ${r.probeMaxMs.toFixed(1)} ms, ${r.rotations} rotations (max ${r.rotationMsMax.toFixed(1)} ms)`,
  });
  void worker.shutdown();
  await running;
  await connection.close();
  await server.close();
  process.stdout.write(`${JSON.stringify({ seconds, runs, everyMs, concurrency, results })}\n`);
}

runMain(main);
