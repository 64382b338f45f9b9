/** `bastion doctor` as a process: exit codes, the --json shape, and a readable failure. */
import * as net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DevServer } from '../../src/testing';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { BIN, spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

const test = suite('bastion doctor');
let pki: TestPki;
let server: DevServer;

test.before(async () => {
  pki = await makeTestPki();
  server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
});

test.after(async () => {
  await server?.close();
  removeTestPki(pki);
});

const CLEAN_ENV = {
  TEMPORAL_ADDRESS: '',
  TEMPORAL_NAMESPACE: '',
  TEMPORAL_API_KEY: '',
  TEMPORAL_TLS: '',
  TEMPORAL_TLS_CLIENT_CERT_PATH: '',
  TEMPORAL_TLS_CLIENT_KEY_PATH: '',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: '',
  TEMPORAL_TLS_SERVER_NAME: '',
};

async function doctor(args: string[]): Promise<{ code: number | null; output: string }> {
  const p = spawnNode([BIN, 'doctor', '--timeout', '3s', ...args], CLEAN_ENV);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

const mtlsFlags = () => ['--address', `localhost:${server.port}`, '--tls-ca-path', pki.ca.certPath];

test(
  'exit 0 and one ✓ line per passing step for a good mTLS setup',
  timed(20_000, async () => {
    const { code, output } = await doctor([...mtlsFlags(), '--tls-cert-path', pki.client.certPath, '--tls-key-path', pki.client.keyPath]);
    assert.is(code, 0, output);
    for (const step of ['dns', 'tcp', 'tls', 'client-certificate', 'grpc', 'namespace']) assert.match(output, new RegExp(`^✓ ${step} `, 'm'));
    assert.match(output, /^- api-key +No API key configured\./m);
    assert.match(output, /All checks passed\./);
    assert.not.match(output, /PRIVATE KEY/);
  }),
);

test(
  'exit 1 with the failed step, its detail and the fix for a missing client certificate',
  timed(20_000, async () => {
    const { code, output } = await doctor(mtlsFlags());
    assert.is(code, 1, output);
    assert.match(output, /^✗ client-certificate +The server asked for a client certificate but none was configured\./m);
    assert.match(output, /^ +fix: Pass a client certificate and its key .*--tls-cert-path/m);
    assert.match(output, /^- grpc +Skipped: the client-certificate step failed\./m);
    assert.match(output, /Failed at the client-certificate step\./);
  }),
);

test(
  '--json prints { ok, address, steps[] } with name, status, detail',
  timed(20_000, async () => {
    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as net.AddressInfo;
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    const { code, output } = await doctor(['--address', `127.0.0.1:${port}`, '--json']);
    assert.is(code, 1);
    const result = JSON.parse(output) as { ok: boolean; address: string; steps: Array<{ name: string; status: string; detail: string; fix?: string }> };
    assert.is(result.ok, false);
    assert.is(result.address, `127.0.0.1:${port}`);
    assert.equal(
      result.steps.map((s) => `${s.name}:${s.status}`),
      ['config:ok', 'dns:skipped', 'tcp:failed', 'tls:skipped', 'client-certificate:skipped', 'grpc:skipped', 'namespace:skipped', 'api-key:skipped'],
    );
    assert.match(result.steps[2]!.detail, /ECONNREFUSED/);
    assert.ok(result.steps[2]!.fix);
    const again = await doctor(['--address', `127.0.0.1:${port}`, '--output', 'json']);
    assert.is(JSON.parse(again.output).ok, false);
  }),
);

test(
  'exit 2 for usage errors; --help lists the steps; bastion --help lists doctor',
  timed(20_000, async () => {
    assert.is((await doctor(['--bogus'])).code, 2);
    const bad = await doctor(['--timeout', 'soon']);
    assert.is(bad.code, 2);
    assert.match(bad.output, /`--timeout` must be a duration/);
    const help = await doctor(['--help']);
    assert.is(help.code, 0);
    assert.match(help.output, /config, dns, tcp, tls, client-certificate, grpc,/);
    const top = spawnNode([BIN, '--help']);
    assert.is((await top.exited).code, 0);
    assert.match(top.output(), /^ {2}doctor +explain/m);
  }),
);

test.run();
