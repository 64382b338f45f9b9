/**
 * `bastion operator namespace list|describe|create` and the global `--grpc-meta`, run as
 * the real binary against in-process dev servers on port 0.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DevServer } from '../../src/testing';
import { runCli } from '../helpers/cli-capture';
import { CLEAN_ENV, parseJson as json } from '../helpers/cli-env';
import { BIN, runNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

const test = suite('bastion operator namespace, --grpc-meta');

let server: DevServer;
const bastion = (args: string[]) => runNode([BIN, ...args, '--address', server.address], CLEAN_ENV);

test.before(async () => {
  server = await DevServer.start({ logLevel: 'off' });
});

test.after(async () => {
  await server.close();
});

test(
  'operator namespace create, describe and list',
  timed(150_000, async () => {
    const create = await bastion(['operator', 'namespace', 'create', 'orders', '--retention', '48h', '--description', 'order workflows']);
    assert.is(create.code, 0, create.stderr);
    assert.match(create.stdout, /Namespace orders created/);
    const dup = await bastion(['operator', 'namespace', 'create', '--namespace', 'orders']);
    assert.is(dup.code, 1);
    assert.match(dup.stderr, /Namespace orders already exists/);
    const describe = await bastion(['operator', 'namespace', 'describe', 'orders', '-o', 'json']);
    assert.is(describe.code, 0, describe.stderr);
    const d = json(describe.stdout);
    assert.is(d.namespaceInfo.name, 'orders');
    assert.is(d.namespaceInfo.description, 'order workflows');
    assert.is(d.config.workflowExecutionRetentionTtl, '172800s');
    const text = await bastion(['operator', 'namespace', 'describe', '-n', 'orders']);
    assert.match(text.stdout, /Name\s+orders\n\s+ID\s+[0-9a-f-]{36}\n\s+State\s+Registered/);
    const list = await bastion(['operator', 'namespace', 'list', '-o', 'jsonl']);
    const names = list.stdout
      .trim()
      .split('\n')
      .map((l) => json(l).namespaceInfo.name);
    assert.ok(names.includes('default') && names.includes('orders'), list.stdout);
    const table = await bastion(['operator', 'namespace', 'list']);
    assert.match(table.stdout, /^NAME\s+STATE\s+RETENTION\s+DESCRIPTION\n/);
    assert.match(table.stdout, /orders\s+Registered\s+172800s\s+order workflows/);
    const missing = await bastion(['operator', 'namespace', 'describe', 'nope']);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /Namespace nope was not found/);
  }),
);

test(
  '--grpc-meta sends headers: a server that requires an API key accepts it as authorization',
  timed(150_000, async () => {
    const locked = await DevServer.start({ logLevel: 'off', apiKeys: ['key-12345678'] });
    try {
      const run = (args: string[]) => runNode([BIN, 'workflow', 'count', '--address', locked.address, ...args], CLEAN_ENV);
      const refused = await run([]);
      assert.is(refused.code, 1);
      assert.match(refused.stderr, /UNAUTHENTICATED|authorization/i);
      const ok = await run(['--grpc-meta', 'authorization=Bearer key-12345678', '--grpc-meta', 'x-team=payments']);
      assert.is(ok.code, 0, ok.stderr);
      assert.is(ok.stdout, 'Total: 0\n');
      const bad = await runCli(['workflow', 'count', '--address', locked.address, '--grpc-meta', 'no-equals-sign']);
      assert.is(bad.code, 2);
      assert.match(bad.stderr, /`--grpc-meta` takes KEY=VALUE/);
    } finally {
      await locked.close();
    }
  }),
);

test.run();
