/**
 * `bastion codec-server` and `bastion payload decode` as real processes: the server
 * decodes what EncryptionCodec encrypted with the same key file and exits 0 on SIGTERM;
 * `payload decode` turns a history with encrypted payloads into plaintext, and a bad key
 * file ends with exit code 1 and a message naming it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EncryptionCodec } from '../../codecs/encryption-codec';
import { payloadFromJson, payloadToJson } from '../../codecs/http-payloads';
import { KeyRing } from '../../codecs/key-ring';
import { defaultPayloadConverter } from '../../src/converter';
import * as https from 'node:https';
import { createCertificateAuthority, issueCertificate } from '../../certs';
import { Client } from '../../src/client';
import { Connection } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { BIN, spawnNode } from '../helpers/processes';
import { timed, withTimeout } from '../helpers/wait';

const test = suite('cli: codec-server and payload decode');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-codec-cli-'));
const keysPath = path.join(dir, 'keys.json');
fs.writeFileSync(keysPath, JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }), { mode: 0o600 });
const TOKEN = randomBytes(16).toString('hex');

async function codec(): Promise<EncryptionCodec> {
  return EncryptionCodec.create({ keyRing: KeyRing.fromFile(keysPath) });
}

async function encrypted(value: unknown): Promise<Record<string, unknown>> {
  const [p] = await (await codec()).encode([defaultPayloadConverter.toPayload(value)]);
  return payloadToJson(p!) as Record<string, unknown>;
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test(
  'codec-server decodes payloads encrypted with the same key file; SIGTERM exits 0',
  timed(30_000, async () => {
    const s = spawnNode([BIN, 'codec-server', '--port', '0', '--keys', keysPath, '--cors-origin', 'http://localhost:8233', '--auth-token-env', 'CODEC_TOKEN'], {
      CODEC_TOKEN: TOKEN,
    });
    try {
      const m = await s.waitFor(/bastion codec server listening on (\S+)/);
      const url = m[1]!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const body = JSON.stringify({ payloads: [await encrypted({ card: '4111-1111' })] });
      const headers = { 'Content-Type': 'application/json', 'X-Namespace': 'default', Authorization: `Bearer ${TOKEN}`, Origin: 'http://localhost:8233' };
      const res = await fetch(`${url}/decode?preserveStorageRefs=true`, { method: 'POST', headers, body });
      assert.is(res.status, 200);
      assert.is(res.headers.get('access-control-allow-origin'), 'http://localhost:8233');
      const decoded = (await res.json()) as { payloads: Array<{ data: string }> };
      assert.equal(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()), { card: '4111-1111' });
      // Encode then decode through the server, and the token is required.
      const enc = await fetch(`${url}/encode`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ payloads: [payloadToJson(defaultPayloadConverter.toPayload('hi'))] }),
      });
      const encodedBody = (await enc.json()) as { payloads: unknown[] };
      const [back] = await (await codec()).decode(encodedBody.payloads.map((p, i) => payloadFromJson(p, `payloads[${i}]`)));
      assert.is(defaultPayloadConverter.fromPayload(back!), 'hi');
      assert.is((await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status, 401);
      s.kill('SIGTERM');
      const exit = await withTimeout(10_000, s.exited, 'codec-server exit');
      assert.is(exit.code, 0, s.output());
      assert.not.ok(s.output().includes(TOKEN), 'the token is never printed');
    } finally {
      s.kill();
    }
  }),
);

test(
  'codec-server refuses an address beyond loopback without TLS and a token, naming --allow-insecure-bind',
  timed(30_000, async () => {
    for (const extra of [[], ['--auth-token-env', 'CODEC_TOKEN']]) {
      const s = spawnNode([BIN, 'codec-server', '--port', '0', '--ip', '0.0.0.0', '--keys', keysPath, ...extra], { CODEC_TOKEN: TOKEN });
      try {
        const exit = await withTimeout(20_000, s.exited, 'codec-server exit');
        // 'exit' can come before the last output: wait for stderr to end.
        if (!s.child.stderr!.readableEnded) await withTimeout(5000, new Promise((r) => s.child.stderr!.once('end', r)), 'stderr end');
        assert.is(exit.code, 1, s.output());
        assert.match(s.output(), /will not listen on 0\.0\.0\.0, an address other than loopback, without TLS/);
        assert.match(s.output(), /--allow-insecure-bind/);
        assert.not.ok(s.output().includes('listening on'), 'it never listened');
      } finally {
        s.kill();
      }
    }
  }),
);

test(
  'codec-server --allow-insecure-bind listens beyond loopback, and says so',
  timed(30_000, async () => {
    const s = spawnNode([BIN, 'codec-server', '--port', '0', '--ip', '0.0.0.0', '--keys', keysPath, '--allow-insecure-bind']);
    try {
      const m = await s.waitFor(/bastion codec server listening on http:\/\/0\.0\.0\.0:(\d+)/);
      await s.waitFor(/--allow-insecure-bind: the codec server listens on 0\.0\.0\.0 without TLS/);
      assert.is((await fetch(`http://127.0.0.1:${m[1]}/health`)).status, 200);
      s.kill('SIGINT');
      assert.is((await withTimeout(10_000, s.exited, 'exit')).code, 0);
    } finally {
      s.kill();
    }
  }),
);

test(
  'codec-server limit flags reach the server, and a malformed one is a usage error',
  timed(30_000, async () => {
    const bad = spawnNode([BIN, 'codec-server', '--port', '0', '--keys', keysPath, '--max-payloads', '1.5']);
    const exit = await withTimeout(20_000, bad.exited, 'codec-server exit');
    if (!bad.child.stderr!.readableEnded) await withTimeout(5000, new Promise((r) => bad.child.stderr!.once('end', r)), 'stderr end');
    assert.is(exit.code, 2, bad.output());
    assert.match(bad.output(), /`--max-payloads` must be a whole number, got "1\.5"/);
    const s = spawnNode([
      BIN,
      'codec-server',
      '--port',
      '0',
      '--keys',
      keysPath,
      '--max-payloads',
      '2',
      '--max-decoded-bytes',
      '1048576',
      '--max-in-flight-bytes',
      '8388608',
      '--max-connections',
      '8',
    ]);
    try {
      const url = (await s.waitFor(/bastion codec server listening on (\S+)/))[1]!;
      const one = await encrypted('x');
      const res = await fetch(`${url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
        body: JSON.stringify({ payloads: [one, one, one] }),
      });
      assert.is(res.status, 413);
      const answer = (await res.json()) as { limits: Record<string, number> };
      assert.equal(answer.limits, { maxBodyBytes: 4194304, maxDecodedBytesPerRequest: 1048576, maxPayloadsPerRequest: 2 });
    } finally {
      s.kill();
    }
  }),
);

test(
  'payload decode prints a history with every payload decrypted',
  timed(30_000, async () => {
    const history = {
      events: [
        {
          eventId: '1',
          eventTime: '2024-01-01T00:00:00Z',
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          workflowExecutionStartedEventAttributes: {
            workflowType: { name: 'order' },
            taskQueue: { name: 'q' },
            input: { payloads: [await encrypted({ item: 'lamp', qty: 2 })] },
            memo: { fields: { note: await encrypted('gift wrap') } },
          },
        },
        {
          eventId: '2',
          eventTime: '2024-01-01T00:00:01Z',
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
          workflowExecutionFailedEventAttributes: {
            failure: { message: 'Encoded failure', encodedAttributes: await encrypted({ message: 'card declined', stack_trace: '' }) },
          },
        },
      ],
    };
    const input = path.join(dir, 'history.json');
    fs.writeFileSync(input, JSON.stringify(history));
    const s = spawnNode([BIN, 'payload', 'decode', '--keys', keysPath, '--input', input, '--with-values']);
    const exit = await withTimeout(20_000, s.exited, 'payload decode');
    assert.is(exit.code, 0, s.output());
    const out = JSON.parse(s.output().slice(s.output().indexOf('{')));
    const started = out.events[0].workflowExecutionStartedEventAttributes;
    assert.equal(started.input.payloads[0].decoded, { item: 'lamp', qty: 2 });
    assert.is(Buffer.from(started.input.payloads[0].metadata.encoding, 'base64').toString(), 'json/plain');
    assert.is(started.memo.fields.note.decoded, 'gift wrap');
    assert.is(out.events[1].workflowExecutionFailedEventAttributes.failure.encodedAttributes.decoded.message, 'card declined');
    assert.is(out.events[0].eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', 'the rest is unchanged');

    // Without --with-values the output stays a plain proto3 JSON history.
    const plain = spawnNode([BIN, 'payload', 'decode', '--keys', keysPath, '--input', input]);
    assert.is((await withTimeout(20_000, plain.exited, 'payload decode')).code, 0, plain.output());
    const p0 = JSON.parse(plain.output()).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    assert.equal(Object.keys(p0).sort(), ['data', 'metadata']);
    assert.equal(JSON.parse(Buffer.from(p0.data, 'base64').toString()), { item: 'lamp', qty: 2 });
  }),
);

test(
  'payload decode with a bad key file exits 1 and names the file; a wrong key names the payload',
  timed(30_000, async () => {
    const input = path.join(dir, 'one.json');
    fs.writeFileSync(input, JSON.stringify({ payloads: [await encrypted('secret-value-xyz')] }));
    const badKeys = path.join(dir, 'bad-keys.json');
    fs.writeFileSync(badKeys, JSON.stringify({ active: 'k1', keys: { k1: 'not-32-bytes' } }));
    const s = spawnNode([BIN, 'payload', 'decode', '--keys', badKeys, '--input', input]);
    assert.is((await withTimeout(20_000, s.exited, 'payload decode')).code, 1, s.output());
    assert.match(s.output(), /^bastion: /m);
    assert.ok(s.output().includes('bad-keys.json'), s.output());
    const missing = spawnNode([BIN, 'payload', 'decode', '--keys', path.join(dir, 'nope.json'), '--input', input]);
    assert.is((await withTimeout(20_000, missing.exited, 'payload decode')).code, 1);
    assert.match(missing.output(), /nope\.json/);

    const otherKeys = path.join(dir, 'other-keys.json');
    fs.writeFileSync(otherKeys, JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
    const wrong = spawnNode([BIN, 'payload', 'decode', '--keys', otherKeys, '--input', input]);
    assert.is((await withTimeout(20_000, wrong.exited, 'payload decode')).code, 1);
    assert.match(wrong.output(), /`payloads\[0\]` could not be decoded/);
    assert.not.ok(wrong.output().includes('secret-value-xyz'));
  }),
);

test(
  'a real encrypted history, fetched with `bastion workflow show --output json`, decodes; so does a payload list',
  timed(60_000, async () => {
    const server = await DevServer.start({ logLevel: 'off' });
    const connection = await Connection.connect({ address: server.address });
    try {
      const c = await codec();
      const client = new Client({ connection, dataConverter: { payloadCodecs: [c] } });
      await client.workflow.start('order', {
        taskQueue: 'nobody-polls',
        workflowId: 'cli-decode',
        args: [{ item: 'lamp', qty: 2 }],
        memo: { note: 'gift wrap' },
      });
      const show = spawnNode([BIN, 'workflow', 'show', '--address', server.address, '--workflow-id', 'cli-decode', '--output', 'json']);
      assert.is((await withTimeout(20_000, show.exited, 'workflow show')).code, 0, show.output());
      assert.not.match(show.output(), /lamp/, 'the server holds ciphertext');
      const historyFile = path.join(dir, 'real-history.json');
      fs.writeFileSync(historyFile, show.output());
      const s = spawnNode([BIN, 'payload', 'decode', '--keys', keysPath, '--input', historyFile, '--with-values']);
      assert.is((await withTimeout(20_000, s.exited, 'payload decode')).code, 0, s.output());
      const started = JSON.parse(s.output()).events[0].workflowExecutionStartedEventAttributes;
      assert.equal(started.input.payloads[0].decoded, { item: 'lamp', qty: 2 });
      assert.is(started.memo.fields.note.decoded, 'gift wrap');

      const listFile = path.join(dir, 'payloads.json');
      fs.writeFileSync(listFile, JSON.stringify({ payloads: [await encrypted('one'), await encrypted({ two: 2 })] }));
      const list = spawnNode([BIN, 'payload', 'decode', '--keys', keysPath, '--input', listFile, '--with-values']);
      assert.is((await withTimeout(20_000, list.exited, 'payload decode list')).code, 0, list.output());
      assert.equal(
        JSON.parse(list.output()).payloads.map((p: { decoded: unknown }) => p.decoded),
        ['one', { two: 2 }],
      );
    } finally {
      await connection.close();
      await server.close();
    }
  }),
);

test(
  'codec-server over HTTPS (--tls-cert/--tls-key) with --auth-token',
  timed(30_000, async () => {
    const ca = await createCertificateAuthority({ commonName: 'Codec CLI CA', keyType: 'ecdsa-p256' });
    const leaf = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const certFile = path.join(dir, 'codec.pem');
    const keyFile = path.join(dir, 'codec.key');
    fs.writeFileSync(certFile, leaf.certPem);
    fs.writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
    const s = spawnNode([BIN, 'codec-server', '--port', '0', '--keys', keysPath, '--tls-cert', certFile, '--tls-key', keyFile, '--auth-token', TOKEN]);
    try {
      const url = (await s.waitFor(/bastion codec server listening on (\S+)/))[1]!;
      assert.match(url, /^https:\/\//);
      await s.waitFor(/--auth-token puts the token on the command line/);
      const body = JSON.stringify({ payloads: [await encrypted('over https')] });
      const post = (auth?: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = https.request(
            `${url}/default/decode`,
            { method: 'POST', ca: ca.certPem, headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) } },
            (res) => {
              let text = '';
              res.on('data', (d) => (text += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const ok = await post(`Bearer ${TOKEN}`);
      assert.is(ok.status, 200, ok.body);
      assert.is(Buffer.from(JSON.parse(ok.body).payloads[0].data, 'base64').toString(), '"over https"');
      assert.is((await post()).status, 401);
      assert.is((await post('Bearer wrong-token')).status, 401);
      s.kill('SIGTERM');
      assert.is((await withTimeout(10_000, s.exited, 'exit')).code, 0);
      const outputWithoutWarning = s.output().replace(/--auth-token puts the token[^\n]*/, '');
      assert.not.ok(outputWithoutWarning.includes(TOKEN), 'the token is never printed');
    } finally {
      s.kill();
    }
  }),
);

test.run();
