/**
 * API keys on the dev server, as Temporal Cloud checks them, judged by Bastion's and the
 * official client: the right key works, a missing or unknown key is UNAUTHENTICATED, a key
 * not granted a namespace is PERMISSION_DENIED, and `bastion doctor` says which.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection as OfficialConnection } from '@temporalio/client';
import { Connection, diagnoseConnection } from '../../src/index';
import { DevServer } from '../../src/testing';
import { spawnDevServer } from '../helpers/processes';
import { timed } from '../helpers/wait';

const test = suite('dev server: API keys');
const KEY = `bk_${'a1'.repeat(12)}`;
const NARROW = `bk_${'b2'.repeat(12)}`;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
let server: DevServer;

test.before(async () => {
  server = await DevServer.start({ logLevel: 'off', namespaces: ['orders'], apiKeys: [KEY, { key: NARROW, namespaces: ['orders'] }] });
});

test.after(async () => {
  await server?.close();
});

const connect = (apiKey?: string) =>
  Connection.connect({ address: server.address, tls: false, logger: silent, connectTimeout: '3s', ...(apiKey ? { apiKey } : {}) });

test(
  'the right key works for Bastion and the official client',
  timed(20_000, async () => {
    const connection = await connect(KEY);
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    await connection.close();
    const official = await OfficialConnection.connect({ address: server.address, apiKey: KEY, tls: false });
    await official.workflowService.describeNamespace({ namespace: 'default' });
    await official.close();
  }),
);

test(
  'no key or an unknown key: UNAUTHENTICATED, explained, and the key is never shown',
  timed(20_000, async () => {
    for (const key of [undefined, `bk_${'ff'.repeat(12)}`]) {
      const err = (await connect(key).then(
        () => undefined,
        (e: unknown) => e,
      )) as (Error & { code?: string }) | undefined;
      assert.is(err?.code, 'ERR_CONNECT_FAILED');
      assert.match(err!.message, /UNAUTHENTICATED/);
      assert.match(err!.message, key ? /not one the Bastion dev server accepts/ : /requires an API key/);
      assert.match(err!.message, /Check `apiKey`/);
      if (key) assert.not.ok(err!.message.includes(key));
    }
  }),
);

test(
  'a key limited to some namespaces: PERMISSION_DENIED elsewhere',
  timed(20_000, async () => {
    const connection = await connect(NARROW);
    try {
      await connection.workflowService.describeNamespace({ namespace: 'orders' });
      const err = (await connection.workflowService.describeNamespace({ namespace: 'default' }).catch((e) => e)) as { code?: number; details?: string };
      assert.is(err.code, 7);
      assert.match(String(err.details), /not granted namespace "default"/);
    } finally {
      await connection.close();
    }
  }),
);

test(
  'bastion doctor names the api-key step for an unknown key and for a namespace the key lacks',
  timed(30_000, async () => {
    const unknown = await diagnoseConnection({ address: server.address, tls: false, apiKey: `bk_${'cd'.repeat(12)}`, logger: silent, timeoutMs: 3000 });
    assert.is(unknown.ok, false);
    const apiKeyStep = unknown.steps.find((s) => s.name === 'api-key');
    assert.is(apiKeyStep?.status, 'failed', JSON.stringify(unknown.steps));
    assert.match(apiKeyStep!.detail, /UNAUTHENTICATED/);
    assert.match(apiKeyStep!.fix ?? '', /new API key/);
    assert.not.match(JSON.stringify(unknown), /cdcdcdcd/);
    const narrow = await diagnoseConnection({ address: server.address, tls: false, apiKey: NARROW, namespace: 'default', logger: silent, timeoutMs: 3000 });
    assert.is(narrow.ok, false);
    assert.match(narrow.steps.find((s) => s.name === 'api-key')!.detail, /PERMISSION_DENIED/);
    const good = await diagnoseConnection({ address: server.address, tls: false, apiKey: NARROW, namespace: 'orders', logger: silent, timeoutMs: 3000 });
    assert.is(good.ok, true, JSON.stringify(good.steps));
  }),
);

test(
  'bastion server start-dev --api-keys-file requires a key from the file',
  timed(30_000, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-keys-'));
    const file = path.join(dir, 'keys');
    fs.writeFileSync(file, `# dev keys\n${KEY}\n${NARROW} orders\n`, { mode: 0o600 });
    const cli = await spawnDevServer(['--port', '0', '--api-keys-file', file]);
    try {
      const good = await Connection.connect({ address: cli.address, tls: false, apiKey: KEY, logger: silent });
      await good.close();
      const err = (await Connection.connect({ address: cli.address, tls: false, logger: silent, connectTimeout: '3s' }).catch((e) => e)) as Error;
      assert.match(err.message, /requires an API key/);
      assert.not.ok(cli.output().includes(KEY), 'keys never printed');
    } finally {
      cli.kill('SIGTERM');
      await cli.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
