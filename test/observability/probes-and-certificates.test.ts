/**
 * Health and readiness probes through the worker's states; certificate gauges equal to
 * `inspectCertificate`; a rotation moving the gauge; the OpenTelemetry MeterProvider path;
 * `Runtime.install({ telemetryOptions })`; the missing-peer and bad-option errors.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { Connection } from '../../src/connection';
import { Worker } from '../../src/worker';
import { DevServer } from '../../src/testing';
import { Runtime } from '../../src/common/logger';
import { inspectCertificate } from '../../certs';
import { loadOptionalPeer } from '../../src/observability/optional-peer';
import { compileMetricsOption } from '../../src/observability/metrics-options';
import { commonName } from '../../src/observability/connectivity-metrics';
import type { OtelMeterProvider } from '../../src/observability/otel-recorder';
import { bastionBundle, quietLogger } from '../helpers/bastion-env';
import { issueCertificate, makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import * as activities from '../fixtures/bastion-activities';
import { timed, waitFor } from '../helpers/wait';

const test = suite('observability: probes and certificate metrics');
let pki: TestPki;
let server: DevServer;

test.before(async () => {
  pki = await makeTestPki();
  server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
});
test.after(async () => {
  await server.close();
  removeTestPki(pki);
});

const tlsOf = (crt: string, key: string) => ({ serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: { crt, key } });

async function probe(url: string): Promise<{ status: number; body: { status: string; reasons: string[] } }> {
  const res = await fetch(url);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return { status: res.status, body: (await res.json()) as { status: string; reasons: string[] } };
}

/** The value of a gauge series from the registry's JSON, by label match. */
async function gauge(registry: Registry, name: string, match: Record<string, string>): Promise<number[]> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return ((m?.values ?? []) as Array<{ labels: Record<string, string | number>; value: number }>)
    .filter((v) => Object.entries(match).every(([k, x]) => v.labels[k] === x))
    .map((v) => v.value);
}

test(
  'probes answer with status codes through INITIALIZED, RUNNING, STOPPING/DRAINING, STOPPED and FAILED',
  timed(30_000, async () => {
    const connection = await Connection.connect({ address: server.address, tls: tlsOf(pki.client.cert, pki.client.key), logger: quietLogger });
    const options = {
      connection,
      taskQueue: 'obs-probes',
      workflowBundle: await bastionBundle(),
      activities,
      shutdownGraceTime: '5s',
      shutdownSignals: [],
      logger: quietLogger,
      healthServer: { port: 0 },
    };
    const worker = await Worker.create(options);
    const url = worker.healthServer!.url;
    try {
      assert.is((await probe(`${url}/healthz`)).status, 200);
      const initial = await probe(`${url}/readyz`);
      assert.is(initial.status, 503);
      assert.match(initial.body.reasons.join(), /INITIALIZED/);
      const running = worker.run();
      await waitFor(() => worker.getState() === 'RUNNING' && worker.getStatus().pollers.workflow > 0, 10_000, 'polling');
      const ready = await probe(`${url}/readyz`);
      assert.is(ready.status, 200, JSON.stringify(ready.body));
      assert.is(ready.body.status, 'ok');
      // An activity that notices shutdown keeps the worker in DRAINING while the probes are read.
      const client = new (await import('../../src/client')).Client({ connection });
      const h = await client.workflow.start('slowActivity', { taskQueue: 'obs-probes', workflowId: `obs-probe-${Date.now()}`, args: ['noticeShutdown'] });
      await waitFor(() => worker.getStatus().inFlight.activities > 0, 10_000, 'activity running');
      const stopping = worker.shutdown();
      await waitFor(() => ['STOPPING', 'DRAINING'].includes(worker.getState()), 5000, 'draining');
      const draining = await probe(`${url}/readyz`);
      assert.is(draining.status, 503);
      assert.match(draining.body.reasons.join(), /STOPPING|DRAINING/);
      assert.is((await probe(`${url}/healthz`)).status, 200);
      await stopping;
      await running;
      await h.cancel().catch(() => undefined);
      assert.is(worker.getState(), 'STOPPED');
      // The server closes with the worker: nothing left listening.
      await fetch(`${url}/readyz`).then(
        () => assert.unreachable('closed'),
        () => undefined,
      );
    } finally {
      await worker.shutdown();
    }
    // FAILED: a worker whose namespace disappears cannot poll; /healthz turns 503.
    const failing = await Worker.create({ ...options, namespace: 'obs-doomed', taskQueue: 'obs-probes-2' }).catch((e: Error) => e);
    assert.instance(failing, Error, 'an unknown namespace is refused at create');
    // Wedged: an event loop blocked past the threshold makes /healthz 503.
    const wedged = await Worker.create({ ...options, taskQueue: 'obs-probes-3', healthServer: { port: 0, eventLoopDelayThreshold: 50 } });
    try {
      const wurl = wedged.healthServer!.url;
      assert.is((await probe(`${wurl}/healthz`)).status, 200);
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // busy: the event loop is wedged
      }
      const sick = await probe(`${wurl}/healthz`);
      assert.is(sick.status, 503);
      assert.match(sick.body.reasons.join(), /event loop delay/);
    } finally {
      await wedged.shutdown();
      await connection.close();
    }
  }),
);

test(
  'a FAILED worker answers /healthz 503',
  timed(20_000, async () => {
    const connection = await Connection.connect({ address: server.address, tls: tlsOf(pki.client.cert, pki.client.key), logger: quietLogger });
    const worker = await Worker.create({
      connection,
      taskQueue: 'obs-fail',
      activities,
      shutdownSignals: [],
      logger: quietLogger,
      healthServer: { port: 0 },
    });
    const url = worker.healthServer!.url;
    try {
      const running = worker.run();
      await waitFor(() => worker.getStatus().pollers.activity > 0, 10_000, 'polling');
      // The server stops answering the namespace: polls fail with NOT_FOUND, which ends the worker.
      (worker as unknown as { fail(e: Error): void }).fail(new Error('deliberate'));
      await running.then(
        () => assert.unreachable('should fail'),
        () => undefined,
      );
      assert.is(worker.getState(), 'FAILED');
      const health = await probe(`${url}/healthz`);
      assert.is(health.status, 503);
      assert.match(health.body.reasons.join(), /FAILED/);
      assert.is((await probe(`${url}/readyz`)).status, 503);
    } finally {
      await worker.healthServer?.close();
      await connection.close();
    }
  }),
);

test(
  "x509_cert_not_after equals inspectCertificate's notAfter, and a rotation moves it",
  timed(30_000, async () => {
    const registry = new Registry();
    const first = issueCertificate(pki.dir, 'obs-first', { cn: 'obs-worker', kind: 'client', issuer: pki.ca, notAfter: new Date(Date.now() + 3 * 86400_000) });
    const second = issueCertificate(pki.dir, 'obs-second', {
      cn: 'obs-worker',
      keyRole: 'obs-second',
      kind: 'client',
      issuer: pki.ca,
      notAfter: new Date(Date.now() + 40 * 86400_000),
    });
    const connection = await Connection.connect({
      address: server.address,
      tls: tlsOf(first.cert, first.key),
      logger: quietLogger,
      metrics: { registry },
    });
    try {
      const a = inspectCertificate(first.cert).certificates[0]!;
      const labels = { role: 'client', subject_CN: 'obs-worker', issuer_CN: 'Bastion Test CA' };
      labels.issuer_CN = commonName(inspectCertificate(pki.ca.cert).certificates[0]!.subject);
      assert.equal(await gauge(registry, 'x509_cert_not_after', labels), [Math.floor(a.notAfter.getTime() / 1000)]);
      assert.equal(await gauge(registry, 'x509_cert_not_before', labels), [Math.floor(a.notBefore.getTime() / 1000)]);
      assert.equal(await gauge(registry, 'x509_cert_not_after', { serial_number: BigInt(`0x${a.serialNumber}`).toString() }), [
        Math.floor(a.notAfter.getTime() / 1000),
      ]);
      // A refused rotation counts with its reason and leaves the gauge as it was.
      const refusedErr = await connection.setTlsConfig(tlsOf(second.cert, first.key)).then(
        () => undefined,
        (e: Error) => e.message,
      );
      assert.equal(
        await gauge(registry, 'bastion_tls_rotations', { outcome: 'refused', reason: 'key_mismatch' }),
        [1],
        refusedErr + JSON.stringify(await registry.getSingleMetricAsString('bastion_tls_rotations')),
      );
      await connection.setTlsConfig(tlsOf(second.cert, second.key));
      const b = inspectCertificate(second.cert).certificates[0]!;
      assert.equal(await gauge(registry, 'x509_cert_not_after', labels), [Math.floor(b.notAfter.getTime() / 1000)], 'one series, moved to the new notAfter');
      assert.equal(await gauge(registry, 'bastion_tls_rotations', { outcome: 'applied' }), [1]);
      // The text exposition carries the exporter's label names.
      const text = await registry.metrics();
      assert.match(text, /x509_cert_not_after\{role="client",subject_CN="obs-worker",issuer_CN="[^"]+",serial_number="\d+"\} \d+/);
    } finally {
      await connection.close();
    }
  }),
);

test(
  'a TLS handshake refused for an untrusted client certificate counts under its cause',
  timed(20_000, async () => {
    const registry = new Registry();
    const err = await Connection.connect({
      address: server.address,
      tls: tlsOf(pki.clientFromOtherCa.cert, pki.clientFromOtherCa.key),
      connectTimeout: '3s',
      logger: quietLogger,
      metrics: { registry },
    }).catch((e: Error) => e);
    assert.instance(err, Error);
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'bastion_tls_handshake_failures');
    assert.ok(m && m.values.length > 0, 'a handshake failure was counted');
    assert.ok(m!.values.every((v) => typeof v.labels.cause === 'string' && v.labels.cause !== ''));
  }),
);

test(
  'an OpenTelemetry MeterProvider gets the same metrics (a minimal in-memory MeterProvider)',
  timed(20_000, async () => {
    const points: Array<{ kind: string; name: string; value: number; attributes?: Record<string, string>; unit?: string }> = [];
    const meterProvider: OtelMeterProvider = {
      getMeter: () => ({
        createCounter: (name, o) => ({ add: (value, attributes) => void points.push({ kind: 'counter', name, value, attributes, unit: o?.unit }) }),
        createHistogram: (name, o) => ({ record: (value, attributes) => void points.push({ kind: 'histogram', name, value, attributes, unit: o?.unit }) }),
        createGauge: (name, o) => ({ record: (value, attributes) => void points.push({ kind: 'gauge', name, value, attributes, unit: o?.unit }) }),
        createObservableGauge: () => ({ addCallback: () => undefined }),
      }),
    };
    const connection = await Connection.connect({
      address: server.address,
      tls: tlsOf(pki.client.cert, pki.client.key),
      logger: quietLogger,
      metrics: { meterProvider },
    });
    try {
      await connection.workflowService.getSystemInfo({});
      const req = points.find((p) => p.name === 'temporal_request' && p.attributes?.operation === 'GetSystemInfo');
      assert.ok(req, 'temporal_request counted');
      const latency = points.find((p) => p.name === 'temporal_request_latency');
      assert.is(latency?.unit, 'ms');
      assert.ok(points.some((p) => p.kind === 'gauge' && p.name === 'x509_cert_not_after' && p.attributes?.subject_CN === 'worker-1'));
    } finally {
      await connection.close();
    }
  }),
);

test(
  'Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } }) serves /metrics in seconds, unit-suffixed, with bucket overrides, when asked',
  timed(20_000, async () => {
    const runtime = Runtime.install({
      logger: quietLogger,
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress: '127.0.0.1:0',
            useSecondsForDurations: true,
            unitSuffix: true,
            histogramBucketOverrides: { request_latency: [0.01, 0.1, 1] },
          },
        },
      },
    });
    try {
      const http = await runtime.telemetry!.metricsServer!;
      const connection = await Connection.connect({ address: server.address, tls: tlsOf(pki.client.cert, pki.client.key), logger: quietLogger });
      await connection.close();
      const res = await fetch(`${http.url}/metrics`);
      assert.is(res.status, 200);
      const text = await res.text();
      // Core's service_name label on the SDK metrics, not on the x509 exporter's.
      assert.match(text, /temporal_request\{[^}]*operation="GetSystemInfo"[^}]*service_name="temporal-core-sdk"/);
      assert.match(text, /x509_cert_not_after\{role="client"/);
      assert.not.match(text, /x509_cert_not_after\{[^}]*service_name/);
      const buckets = [...text.matchAll(/^temporal_request_latency_seconds_bucket\{le="([^"]+)"[^}]*operation="GetSystemInfo"/gm)].map((m) => m[1]);
      assert.equal(buckets, ['0.01', '0.1', '1', '+Inf']);
      assert.not.match(text, /^temporal_request_latency_bucket/m);
      // A worker's healthServer serves the process-wide registry when the worker records there.
      const c2 = await Connection.connect({ address: server.address, tls: tlsOf(pki.client.cert, pki.client.key), logger: quietLogger });
      const worker = await Worker.create({
        connection: c2,
        taskQueue: 'obs-runtime',
        activities,
        shutdownSignals: [],
        logger: quietLogger,
        healthServer: { port: 0 },
      });
      const own = await fetch(`${worker.healthServer!.url}/metrics`);
      assert.is(own.status, 200);
      assert.match(await own.text(), /temporal_worker_start\{[^}]*task_queue="obs-runtime"[^}]*\} 1/);
      await worker.shutdown();
      await c2.close();
    } finally {
      await runtime.telemetry!.close();
      Runtime.install({});
    }
  }),
);

test('option errors: a missing optional peer names the package and range; conflicting and malformed options are refused', () => {
  const missing = (() => {
    try {
      loadOptionalPeer('prom-client', 'metrics.registry', () => {
        throw Object.assign(new Error('Cannot find module'), { code: 'MODULE_NOT_FOUND' });
      });
    } catch (e) {
      return e as { code?: string; message: string };
    }
  })();
  assert.is(missing?.code, 'ERR_OPTIONAL_PEER_MISSING');
  assert.match(missing!.message, /`prom-client` \(\^15\.1\.0\)/);
  assert.match(missing!.message, /`metrics\.registry`/);
  assert.throws(() => compileMetricsOption({ registry: new Registry(), meterProvider: 'global' }), /exactly one/);
  assert.throws(() => compileMetricsOption({ registry: new Registry(), globalTags: { 'bad-key': 'x' } }), /label names/);
  assert.throws(() => Runtime.install({ telemetryOptions: { metrics: { otel: { url: 'http://x' } } } as never }), /MeterProvider/);
  assert.throws(() => Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: 'nope' } } } }), /host:port/);
  assert.throws(
    () => Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: '127.0.0.1:0', unitSufix: true } as never } } }),
    /`telemetryOptions\.metrics\.prometheus\.unitSufix` is not a Prometheus exporter option\. Known: .*`unitSuffix`/,
  );
  assert.throws(
    () => compileMetricsOption({ registry: new Registry(), histogramBucketOverrides: { request_latency: [10, 5] } }),
    /`metrics\.histogramBucketOverrides\.request_latency` must be a non-empty list of finite numbers in ascending order/,
  );
});

test("attachServiceName: false leaves Core's service_name label off; globalTags stay on every metric", async () => {
  const registry = new Registry();
  const recorder = compileMetricsOption({ registry, attachServiceName: false, globalTags: { env: 'ci' } });
  recorder.count('workflow_completed', { namespace: 'default', task_queue: 'q', workflow_type: 'w' });
  recorder.gauge('x509_cert_not_after', { role: 'client', subject_CN: 'a', issuer_CN: 'b', serial_number: '1' }, 1);
  const text = await registry.metrics();
  assert.match(text, /temporal_workflow_completed\{[^}]*env="ci"/);
  assert.match(text, /x509_cert_not_after\{[^}]*env="ci"/);
  assert.not.match(text, /service_name/);
});

test.run();
