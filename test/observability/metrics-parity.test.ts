/**
 * Core's own Prometheus exporter as the judge of Bastion's metric names, types and label
 * keys: the same workload (activities, a retried activity failure, continue-as-new, a
 * workflow failure, a cancellation, a sticky-cache eviction) runs once on the official
 * worker (Runtime `metrics.prometheus`, in its own process) and once on Bastion's worker
 * (a prom-client registry); both scrapes are parsed by a Prometheus text-format parser and
 * every family Core exports must be exported by Bastion with the same type and label keys,
 * and (histograms) the same buckets, and the values of Core's enumerated labels (worker_type, poller_type, failure_reason,
 * eager) must be Bastion's too.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { DevServer } from '../../src/testing';
import { quietLogger } from '../helpers/bastion-env';
import { freePort, spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';
import { meteredWorker, metricsWorkload } from '../helpers/metrics-workload';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; buckets?: Record<string, string> }>;
}
// No types ship with the parser.
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => Family[];

const test = suite('observability: metric names and labels judged by Core');

/**
 * Label values Core has and Bastion, by design, does not: each with the reason (and in
 * docs/observability.md).
 */
const KNOWN_ABSENT: Record<string, string> = {
  'worker_type="LocalActivityWorker"':
    "Bastion runs local activities inside the workflow task, on the workflow task's slot: it has no separate local-activity slot pool to report",
};

/** Labels whose values are Core's vocabulary (not names from the workload). */
const ENUMERATED = ['worker_type', 'poller_type', 'failure_reason', 'eager'];

interface Shape {
  type: string;
  /** The union of its series' label keys (histogram `le` aside), sorted. */
  labels: string[];
  /** The values each enumerated label took. */
  values: Map<string, Set<string>>;
  /** A histogram's bucket boundaries. */
  buckets: string;
}

/** Family name -> its shape. */
function shape(text: string): Map<string, Shape> {
  const out = new Map<string, Shape>();
  for (const f of parsePrometheusTextFormat(text)) {
    const keys = new Set<string>();
    const values = new Map<string, Set<string>>();
    for (const m of f.metrics)
      for (const [k, v] of Object.entries(m.labels ?? {})) {
        if (k === 'le') continue;
        keys.add(k);
        if (ENUMERATED.includes(k)) values.set(k, (values.get(k) ?? new Set()).add(v));
      }
    out.set(f.name, { type: f.type, labels: [...keys].sort(), values, buckets: Object.keys(f.metrics[0]?.buckets ?? {}).join(' ') });
  }
  return out;
}

test(
  'the series families Core and Bastion both export have the same type and label keys',
  timed(180_000, async () => {
    const server = await DevServer.start({ logLevel: 'off' });
    const connection = await Connection.connect({ address: server.address, logger: quietLogger });
    const client = new Client({ connection });
    const metricsPort = await freePort();
    const official = spawnNode([path.join(__dirname, '../fixtures/official-metrics-process.js')], {
      ADDRESS: server.address,
      TASK_QUEUE: 'parity-official',
      METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    });
    let core: Map<string, Shape>;
    try {
      await official.waitFor(/worker running/, 120_000);
      await metricsWorkload(client, 'parity-official');
      core = shape(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    } finally {
      official.kill('SIGTERM');
      await official.exited;
    }

    const registry = new Registry();
    const wconn = await Connection.connect({ address: server.address, logger: quietLogger, metrics: { registry } });
    const worker = await meteredWorker(wconn, 'parity-bastion', registry);
    let ours: Map<string, Shape>;
    try {
      await worker.runUntil(metricsWorkload(client, 'parity-bastion'));
      ours = shape(await registry.metrics());
    } finally {
      await wconn.close();
      await connection.close();
      await server.close();
    }

    const sdk = [...core.keys()].filter((n) => n.startsWith('temporal_')).sort();
    assert.ok(sdk.length >= 20, `Core exported only ${sdk.length} SDK families: ${sdk.join(', ')}`);
    const problems: string[] = [];
    for (const name of sdk) {
      const c = core.get(name)!;
      const o = ours.get(name);
      if (!o) {
        problems.push(`${name}: exported by Core, not by Bastion`);
        continue;
      }
      if (o.type !== c.type || o.labels.join() !== c.labels.join())
        problems.push(`${name}: Core ${c.type} {${c.labels.join(', ')}}, Bastion ${o.type} {${o.labels.join(', ')}}`);
      if (o.buckets !== c.buckets) problems.push(`${name}: Core's buckets ${c.buckets}, Bastion's ${o.buckets}`);
      for (const [key, values] of c.values)
        for (const v of values)
          if (!o.values.get(key)?.has(v) && !KNOWN_ABSENT[`${key}="${v}"`]) problems.push(`${name}: Core has ${key}="${v}", Bastion does not`);
    }
    assert.equal(problems, []);
  }),
);

test.run();
