/**
 * The dev server's `/metrics` and `/healthz` (`metricsPort`), its own certificate's gauges
 * across `setTlsConfig`, and codec failures counted by code and the key id in use, through
 * the process-wide recorder.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { Runtime } from '../../src/common/logger';
import { Client } from '../../src/client';
import { EncryptionCodec, KeyRing } from '../../codecs';
import type { OtelMeterProvider } from '../../src/observability/otel-recorder';
import { DevServer } from '../../src/testing';
import { inspectCertificate } from '../../certs';
import { startBastionEnv, quietLogger } from '../helpers/bastion-env';
import { issueCertificate, makeTestPki, removeTestPki } from '../helpers/certs';
import { timed } from '../helpers/wait';

const parse = require('parse-prometheus-text-format') as (
  text: string,
) => Array<{ name: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>;

const test = suite('observability: dev server and codec metrics');

test(
  "the dev server's /metrics counts its RPCs and the tasks it dispatched; /healthz and /readyz answer 200",
  timed(30_000, async () => {
    const env = await startBastionEnv({ metricsPort: 0 });
    try {
      const address = env.server.metricsAddress!;
      assert.ok(address, 'metricsAddress is set');
      const worker = await env.worker('obs-dev');
      await worker.runUntil(env.client.workflow.execute('greet', { taskQueue: 'obs-dev', workflowId: `obs-dev-${Date.now()}`, args: ['x'] }));
      const res = await fetch(`http://${address}/metrics`);
      assert.is(res.status, 200);
      const families = parse(await res.text());
      const value = (name: string, match: Record<string, string>) =>
        (families.find((f) => f.name === name)?.metrics ?? [])
          .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
          .reduce((n, m) => n + Number(m.value ?? 0), 0);
      assert.is(value('bastion_dev_server_requests', { operation: 'StartWorkflowExecution', status_code: 'OK' }), 1);
      assert.ok(value('bastion_dev_server_requests', { operation: 'PollWorkflowTaskQueue' }) >= 1);
      assert.ok(families.some((f) => f.name === 'bastion_dev_server_request_latency'));
      // greet: two workflow tasks (one on the sticky queue) and one activity task (eager or polled).
      assert.ok(value('bastion_dev_server_tasks_dispatched', { namespace: 'default', task_type: 'workflow' }) >= 2);
      assert.ok(families.some((f) => f.name === 'bastion_dev_server_task_backlog'));
      assert.is((await fetch(`http://${address}/healthz`)).status, 200);
      assert.is((await fetch(`http://${address}/readyz`)).status, 200);
    } finally {
      await env.close();
    }
  }),
);

/** The series of `name` on a `/metrics` page, as label sets with their values. */
async function scrape(address: string, name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const res = await fetch(`http://${address}/metrics`);
  assert.is(res.status, 200);
  return (parse(await res.text()).find((f) => f.name === name)?.metrics ?? []).map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }));
}

test(
  "the dev server's own certificate gauges follow setTlsConfig: the old certificate's series goes, the new one's comes; a refused change leaves them",
  timed(30_000, async () => {
    const pki = await makeTestPki();
    const server = await DevServer.start({ logLevel: 'off', metricsPort: 0, tls: { cert: pki.server.cert, key: pki.server.key } });
    try {
      const address = server.metricsAddress!;
      const series = (cert: string) => {
        const c = inspectCertificate(cert).certificates[0]!;
        return {
          serial: BigInt(`0x${c.serialNumber}`).toString(),
          notAfter: Math.floor(c.notAfter.getTime() / 1000),
          notBefore: Math.floor(c.notBefore.getTime() / 1000),
        };
      };
      const first = series(pki.server.cert);
      const server0 = (await scrape(address, 'x509_cert_not_after')).filter((m) => m.labels.role === 'server');
      assert.equal(
        server0.map((m) => [m.labels.serial_number, m.value]),
        [[first.serial, first.notAfter]],
      );
      assert.is(server0[0]!.labels.subject_CN, 'localhost');
      const next = issueCertificate(pki.dir, 'server-gauge-next', {
        cn: 'localhost',
        kind: 'server',
        issuer: pki.ca,
        keyRole: 'server-gauge-next',
        notAfter: new Date(Date.now() + 90 * 86400_000),
      });
      const second = series(next.cert);
      assert.is.not(second.serial, first.serial);
      server.setTlsConfig({ cert: next.cert, key: next.key });
      const after = (name: string) =>
        scrape(address, name).then((ms) => ms.filter((m) => m.labels.role === 'server').map((m) => [m.labels.serial_number, m.value]));
      assert.equal(await after('x509_cert_not_after'), [[second.serial, second.notAfter]], 'one series, the new certificate');
      assert.equal(await after('x509_cert_not_before'), [[second.serial, second.notBefore]]);
      // Material the server refuses (the key of another certificate) changes nothing.
      assert.throws(() => server.setTlsConfig({ cert: pki.server.cert, key: next.key }), /does not belong/);
      assert.equal(await after('x509_cert_not_after'), [[second.serial, second.notAfter]]);
    } finally {
      await server.close();
      removeTestPki(pki);
    }
  }),
);

test(
  "a Client's own `metrics` counts its calls and their failures by status",
  timed(20_000, async () => {
    const env = await startBastionEnv();
    try {
      const registry = new Registry();
      const client = new Client({ connection: env.connection, metrics: { registry } });
      await client.workflow.start('greet', { taskQueue: 'obs-client', workflowId: `obs-client-${Date.now()}`, args: ['x'] });
      await client.workflow
        .getHandle('obs-no-such-workflow')
        .describe()
        .catch(() => undefined);
      const text = await registry.metrics();
      const families = parse(text);
      const value = (name: string, match: Record<string, string>) =>
        (families.find((f) => f.name === name)?.metrics ?? [])
          .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
          .reduce((n, m) => n + Number(m.value ?? 0), 0);
      assert.is(value('temporal_request', { operation: 'StartWorkflowExecution', namespace: 'default' }), 1);
      assert.is(value('temporal_request', { operation: 'DescribeWorkflowExecution' }), 1);
      assert.is(value('temporal_request_failure', { operation: 'DescribeWorkflowExecution', status_code: 'NOT_FOUND' }), 1);
      assert.match(text, /temporal_request_latency_count\{[^}]*operation="StartWorkflowExecution"[^}]*\} 1\n/);
    } finally {
      await env.close();
    }
  }),
);

test(
  'a codec failure counts by operation, code and the key id in use',
  timed(10_000, async () => {
    const points: Array<{ name: string; value: number; attributes?: Record<string, string> }> = [];
    const meterProvider: OtelMeterProvider = {
      getMeter: () => ({
        createCounter: (name) => ({ add: (value, attributes) => void points.push({ name, value, attributes }) }),
        createHistogram: () => ({ record: () => undefined }),
        createGauge: () => ({ record: () => undefined }),
        createObservableGauge: () => ({ addCallback: () => undefined }),
      }),
    };
    Runtime.install({ logger: quietLogger, telemetryOptions: { metrics: { meterProvider } } });
    try {
      const codec = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k2', keys: { k2: randomBytes(32) } }) });
      const [sealed] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"secret"') }]);
      const tampered = { ...sealed!, data: Buffer.from(sealed!.data!).fill(1, 30, 31) };
      const err = await codec.decode([tampered]).catch((e: { code?: string }) => e);
      assert.is((err as { code?: string }).code, 'ERR_CODEC_AUTH_FAILED');
      const p = points.find((x) => x.name === 'bastion_codec_failures');
      assert.equal(p?.attributes, { operation: 'decode', code: 'ERR_CODEC_AUTH_FAILED', key_id: 'k2' });
      assert.is(p?.value, 1);
    } finally {
      Runtime.install({});
    }
  }),
);

test.run();
