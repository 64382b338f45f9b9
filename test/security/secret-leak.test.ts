/**
 * The secret-leak scan. With known secrets — private keys generated here, an API key, the
 * encryption keys, a codec auth token, a PKCS#12 password and a payload plaintext marker —
 * the components run as users run them, at their most verbose (`--log-level debug`,
 * `BASTION_TRACE=*`), through their success and failure paths: the dev server, a worker
 * process with the EncryptionCodec running workflows (and workers with a wrong key and an
 * unknown key id), a client, the codec server, `bastion doctor` and `bastion certs`.
 * Everything they print, every error message and stack, and the `util.inspect` of the
 * objects involved is scanned (test/helpers/secret-scan: as given, base64, hex, bytes, PEM
 * body lines). Positive controls show that the scan does find a secret where one is
 * expected (a client with the key decodes the marker).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { bundleWorkflowCode } from '../../src/worker';
import { EncryptionCodec, KeyRing } from '../../codecs/index';
import { payloadsToJson } from '../../codecs/http-payloads';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { BIN, spawnNode, type Spawned } from '../helpers/processes';
import { findSecrets, SecretScanner, type KnownSecret } from '../helpers/secret-scan';
import { quietLogger } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';

const test = suite('security: no secret in any output, log, message or printed object');

const hex = (n: number) => randomBytes(n).toString('hex');
const API_KEY = `leak-api-key-${hex(16)}`;
const WRONG_API_KEY = `leak-wrong-api-key-${hex(16)}`;
const CODEC_TOKEN = `leak-codec-token-${hex(16)}`;
const P12_PASSWORD = `leak-p12-password-${hex(12)}`;
const MARKER = `PLAINTEXT-MARKER-${hex(12)}`;
const KEY = KeyRing.generateKey();
const WRONG_KEY = KeyRing.generateKey();
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const KEYS_OK = JSON.stringify({ active: 'k1', keys: { k1: b64(KEY) } });
const KEYS_OTHER_ID = JSON.stringify({ active: 'k9', keys: { k9: b64(WRONG_KEY) } });
const KEYS_WRONG = JSON.stringify({ active: 'k1', keys: { k1: b64(WRONG_KEY) } });
const TRACE = { BASTION_TRACE: '*', FORCE_COLOR: '0' };

let pki: TestPki;
let dir: string;
let devServer: Spawned;
let address: string;
const secrets: KnownSecret[] = [
  { name: 'API key', value: API_KEY },
  { name: 'wrong API key', value: WRONG_API_KEY },
  { name: 'codec auth token', value: CODEC_TOKEN },
  { name: 'PKCS#12 password', value: P12_PASSWORD },
  { name: 'encryption key', value: KEY },
  { name: 'wrong encryption key', value: WRONG_KEY },
  { name: 'payload plaintext marker', value: MARKER },
];
const publicTexts: string[] = [];
const children: Spawned[] = [];

function scanner(): SecretScanner {
  return new SecretScanner(secrets, publicTexts);
}

function spawn(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawnNode(args, { ...TRACE, ...env });
  children.push(child);
  return child;
}

/** Runs a `bastion` command to its end; returns its exit code and everything it printed. */
async function bastion(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn([BIN, ...args], env);
  const { code } = await child.exited;
  return { code, output: child.output() };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return assert.unreachable('expected a rejection');
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text, { mode: 0o600 });
  return p;
}

/** The TEMPORAL_* environment of a process that connects with mTLS and the API key. */
function temporalEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    XDG_CONFIG_HOME: dir,
    HOME: dir,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_API_KEY: API_KEY,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.keyPath,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.certPath,
    ...overrides,
  };
}

test.before(async () => {
  pki = await makeTestPki();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-leak-'));
  for (const [name, cert] of Object.entries({
    ca: pki.ca,
    otherCa: pki.otherCa,
    server: pki.server,
    client: pki.client,
    clientFromOtherCa: pki.clientFromOtherCa,
  })) {
    secrets.push({ name: `${name} private key`, value: cert.key });
    publicTexts.push(cert.cert);
  }
  const keysFile = file('api-keys', `${API_KEY} default\n`);
  devServer = spawn([
    BIN,
    'server',
    'start-dev',
    '--port',
    '0',
    '--log-level',
    'debug',
    '--tls-cert',
    pki.server.certPath,
    '--tls-key',
    pki.server.keyPath,
    '--tls-client-ca',
    pki.ca.certPath,
    '--api-keys-file',
    keysFile,
  ]);
  address = (await devServer.waitFor(/bastion dev server listening on (\S+)/))[1]!;
});

test.after(() => {
  for (const c of children) c.kill();
  removeTestPki(pki);
  fs.rmSync(dir, { recursive: true, force: true });
});

function clientConnection(extra: { apiKey?: string; crt?: string; key?: string } = {}): Promise<Connection> {
  return Connection.connect({
    address,
    apiKey: extra.apiKey ?? API_KEY,
    tls: { serverRootCACertificate: pki.ca.cert, clientCertPair: { crt: extra.crt ?? pki.client.cert, key: extra.key ?? pki.client.key } },
    logger: quietLogger,
    expiryWarningDays: [],
  });
}

async function historyJson(connection: Connection, workflowId: string): Promise<string> {
  const res = (await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } })) as { history?: object };
  return JSON.stringify(temporal.api.history.v1.History.fromObject(res.history ?? {}).toJSON());
}

test(
  'a worker with the EncryptionCodec, a client and the dev server, through failures: no secret anywhere',
  timed(150_000, async () => {
    const scan = scanner();
    const bundle = file('bundle.js', (await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/codec-workflows.js') })).code);
    const worker = spawn([path.resolve(__dirname, '../fixtures/secret-leak-worker.js')], {
      ...temporalEnv(),
      WORKFLOW_BUNDLE: bundle,
      WORKERS: JSON.stringify([
        { taskQueue: 'leak-ok', keysEnv: 'KEYS_OK' },
        { taskQueue: 'leak-unknown-id', keysEnv: 'KEYS_OTHER_ID' },
        { taskQueue: 'leak-wrong-key', keysEnv: 'KEYS_WRONG' },
      ]),
      KEYS_OK,
      KEYS_OTHER_ID,
      KEYS_WRONG,
    });
    await worker.waitFor(/worker running/, 60_000);

    const connection = await clientConnection();
    const codec = await EncryptionCodec.create({ keyRing: KeyRing.fromEnv('KEYS', { KEYS: KEYS_OK }) });
    const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
    const input = { marker: MARKER, heartbeat: `${MARKER}-HEARTBEAT`, activityFailure: `${MARKER}-ACTIVITY-FAILURE with the API key ${API_KEY}` };
    const h = await client.workflow.start('codecFlow', { taskQueue: 'leak-ok', workflowId: 'leak-flow', args: [input] });
    await h.signal('secret', `${MARKER}-SIGNAL`);
    const result = String(await h.result());
    // Positive control: the client with the key sees the plaintext, and the scan finds it there.
    assert.ok(
      findSecrets(result, secrets).some((f) => f.secret === 'payload plaintext marker'),
      'the scan finds the marker where it is expected',
    );
    const failed = await rejection(
      client.workflow.execute('codecFails', { taskQueue: 'leak-ok', workflowId: 'leak-fail', args: [`${MARKER}-WORKFLOW-FAILURE`, `${MARKER}-DETAIL`] }),
    );
    assert.ok(String((failed as { cause?: Error }).cause?.message).includes(MARKER), 'the client with the key decodes the failure');

    // Failure paths on the client side: no codec, another key id, the wrong key under the right id.
    const noCodec = new Client({ connection });
    scan.collectError('failure read without the codec', await rejection(noCodec.workflow.getHandle('leak-fail').result()));
    for (const [name, keys] of [
      ['unknown key id', KEYS_OTHER_ID],
      ['wrong key', KEYS_WRONG],
    ] as const) {
      const wrong = new Client({
        connection,
        dataConverter: { payloadCodecs: [await EncryptionCodec.create({ keyRing: KeyRing.fromEnv('KEYS', { KEYS: keys }) })] },
      });
      scan.collectError(`client with the ${name}: result`, await rejection(wrong.workflow.getHandle('leak-flow').result()));
      scan.collectError(`client with the ${name}: failure`, await rejection(wrong.workflow.getHandle('leak-fail').result()));
      scan.collectInspect(`client with the ${name}`, wrong);
    }
    // Workers that cannot decode: a workflow task fails on each (logged by the worker), then the runs are ended.
    for (const queue of ['leak-unknown-id', 'leak-wrong-key']) {
      const stuck = await client.workflow.start('codecChild', { taskQueue: queue, workflowId: `leak-${queue}`, args: [`${MARKER}-STUCK`, 0] });
      await worker.waitFor(new RegExp(`workflow task (processing )?failed[^\\n]*leak-${queue}`), 30_000);
      await stuck.terminate('test over');
    }
    // Connection failures: an unknown API key, a certificate from another CA, a key that is not the certificate's.
    scan.collectError('connect with an unknown API key', await rejection(clientConnection({ apiKey: WRONG_API_KEY })));
    const keyFn = await Connection.connect({
      address,
      apiKey: () => API_KEY,
      tls: { serverRootCACertificate: pki.ca.cert, clientCertPair: { crt: pki.client.cert, key: pki.client.key } },
      logger: quietLogger,
      expiryWarningDays: [],
    });
    scan.collectError('call in a namespace the key is not granted', await rejection(keyFn.workflowService.describeNamespace({ namespace: 'not-granted' })));
    scan.collectInspect('connection with an API key function', keyFn);
    await keyFn.close();
    scan.collectError(
      'connect with a certificate from another CA',
      await rejection(clientConnection({ crt: pki.clientFromOtherCa.cert, key: pki.clientFromOtherCa.key })),
    );
    scan.collectError('connect with the key of another certificate', await rejection(clientConnection({ key: pki.server.key })));
    scan.collectError('connect with PEM text in a path', await rejection(clientConnection({ key: pki.client.key.replace('-----BEGIN', '----BEGIN') })));

    for (const id of ['leak-flow', 'leak-flow-child', 'leak-fail', 'leak-leak-unknown-id', 'leak-leak-wrong-key'])
      scan.collect(`history of ${id} (JSON)`, await historyJson(connection, id));
    scan.collectInspect('connection', connection);
    scan.collectInspect('client', client);
    scan.collectInspect('codec', codec);
    await connection.close();

    worker.kill('SIGTERM');
    await worker.exited;
    const out = worker.output();
    assert.match(out, /worker stopped/);
    assert.match(out, /Connection \{/, 'the worker printed its connection');
    assert.match(out, /leak-leak-unknown-id[^\n]*key id `k1`/, 'the unknown-id worker failed a task');
    assert.match(out, /workflow task (processing )?failed[^\n]*leak-leak-wrong-key/, 'the wrong-key worker failed a task');
    scan.collect('worker process output', out);
    scan.collect('dev server output', devServer.output());
    assert.ok(scan.collectedChars > 10_000, 'a scan of nothing proves nothing');
    scan.assertClean();
  }),
);

test(
  'the codec server at debug level: decode, encode, wrong and missing token, unknown key id, tampered payload, bad key file',
  timed(60_000, async () => {
    const scan = scanner();
    const keys = file('codec-keys.json', KEYS_OK);
    const server = spawn([BIN, 'codec-server', '--port', '0', '--keys', keys, '--auth-token-env', 'CODEC_TOKEN', '--log-level', 'debug'], { CODEC_TOKEN });
    const url = (await server.waitFor(/codec server listening on (\S+)/))[1]!;
    const plain = [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(`${MARKER}-CODEC`)) }];
    const good = await EncryptionCodec.create({ keyRing: KeyRing.fromEnv('KEYS', { KEYS: KEYS_OK }) });
    const other = await EncryptionCodec.create({ keyRing: KeyRing.fromEnv('KEYS', { KEYS: KEYS_OTHER_ID }) });
    const encrypted = await good.encode(plain);
    const tampered = encrypted.map((p) => ({ ...p, data: Buffer.from(p.data!).map((b, i, a) => (i === a.length - 1 ? b ^ 1 : b)) }));
    const post = async (op: string, payloads: object[], token: string | undefined) => {
      const res = await fetch(`${url}/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(payloadsToJson(payloads as never)),
      });
      return { status: res.status, body: await res.text() };
    };
    const decoded = await post('decode', encrypted, CODEC_TOKEN);
    assert.is(decoded.status, 200);
    assert.ok(
      findSecrets(decoded.body, secrets).some((f) => f.secret === 'payload plaintext marker'),
      'positive control: the decoded body holds the marker (base64)',
    );
    const encoded = await post('encode', plain, CODEC_TOKEN);
    assert.is(encoded.status, 200);
    scan.collect('encode response', encoded.body);
    const answers = {
      'wrong token': await post('decode', encrypted, WRONG_API_KEY),
      'no token': await post('decode', encrypted, undefined),
      'unknown key id': await post('decode', await other.encode(plain), CODEC_TOKEN),
      'tampered payload': await post('decode', tampered, CODEC_TOKEN),
    };
    for (const [name, answer] of Object.entries(answers)) {
      assert.ok(answer.status >= 400, `${name} is refused`);
      scan.collect(`${name} response`, answer.body);
    }
    server.kill('SIGTERM');
    await server.exited;
    scan.collect('codec server output', server.output());

    // Key files that are not valid: the messages say where and why, never the key.
    const short = await bastion([
      'codec-server',
      '--port',
      '0',
      '--keys',
      file('short-keys.json', JSON.stringify({ active: 'k1', keys: { k1: b64(KEY.subarray(0, 16)) } })),
    ]);
    const broken = await bastion(['codec-server', '--port', '0', '--keys', file('broken-keys.json', `{ "active": "k1", "keys": { "k1": "${b64(KEY)}" `)]);
    const wrongTls = await bastion([
      'codec-server',
      '--port',
      '0',
      '--keys',
      keys,
      '--auth-token',
      CODEC_TOKEN,
      '--tls-cert',
      pki.server.certPath,
      '--tls-key',
      pki.client.keyPath,
    ]);
    for (const [name, r] of Object.entries({ short, broken, wrongTls })) {
      assert.is.not(r.code, 0, `${name} key file is refused`);
      scan.collect(`codec server with a ${name} key file`, r.output);
    }
    scan.assertClean();
  }),
);

test(
  'bastion doctor, passing and failing (unknown API key, key of another certificate, certificate from another CA)',
  timed(90_000, async () => {
    const scan = scanner();
    const runs = {
      ok: await bastion(['doctor', '--timeout', '5s'], temporalEnv()),
      okJson: await bastion(['doctor', '--timeout', '5s', '--json'], temporalEnv()),
      apiKeyFlag: await bastion(['doctor', '--timeout', '5s', '--api-key', WRONG_API_KEY], temporalEnv()),
      wrongApiKey: await bastion(['doctor', '--timeout', '5s', '--json'], temporalEnv({ TEMPORAL_API_KEY: WRONG_API_KEY })),
      keyOfAnotherCert: await bastion(['doctor', '--timeout', '5s'], temporalEnv({ TEMPORAL_TLS_CLIENT_KEY_PATH: pki.server.keyPath })),
      otherCa: await bastion(
        ['doctor', '--timeout', '5s', '--json'],
        temporalEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientFromOtherCa.certPath, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientFromOtherCa.keyPath }),
      ),
      keyAsCert: await bastion(['doctor', '--timeout', '5s'], temporalEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.keyPath })),
    };
    assert.is(runs.ok.code, 0, `doctor passes with the right settings:\n${runs.ok.output.slice(0, 2000)}`);
    for (const [name, r] of Object.entries(runs)) {
      if (name !== 'ok' && name !== 'okJson') assert.is.not(r.code, 0, `doctor fails with ${name}`);
      scan.collect(`doctor (${name})`, r.output);
    }
    scan.assertClean();
  }),
);

test(
  'bastion certs: make, inspect, verify and PKCS#12, with failure paths; the keys written to files never print',
  timed(120_000, async () => {
    const scan = scanner();
    const out = (name: string) => path.join(dir, name);
    const P12 = { P12_PASSWORD };
    const steps: Array<[string, string[], Record<string, string>?]> = [
      ['ca', ['certs', 'ca', '--common-name', 'Leak CA', '--organization', 'Bastion tests', '--out-cert', out('leak-ca.pem'), '--out-key', out('leak-ca.key')]],
      [
        'issue',
        [
          'certs',
          'issue',
          '--ca-cert',
          out('leak-ca.pem'),
          '--ca-key',
          out('leak-ca.key'),
          '--profile',
          'client',
          '--common-name',
          'leak-worker',
          '--organization',
          'Bastion tests',
          '--out-cert',
          out('leak-worker.pem'),
          '--out-key',
          out('leak-worker.key'),
        ],
      ],
      ['csr', ['certs', 'csr', '--common-name', 'leak-csr', '--organization', 'Bastion tests', '--out-csr', out('leak.csr'), '--out-key', out('leak-csr.key')]],
      [
        'sign',
        [
          'certs',
          'sign',
          '--ca-cert',
          out('leak-ca.pem'),
          '--ca-key',
          out('leak-ca.key'),
          '--csr',
          out('leak.csr'),
          '--profile',
          'client',
          '--out-cert',
          out('leak-csr.pem'),
        ],
      ],
      ['inspect', ['certs', 'inspect', out('leak-worker.pem'), out('leak-ca.pem')]],
      ['inspect json', ['certs', 'inspect', out('leak-worker.pem'), '--output', 'json']],
      ['verify', ['certs', 'verify', '--cert', out('leak-worker.pem'), '--key', out('leak-worker.key'), '--ca', out('leak-ca.pem'), '--purpose', 'client']],
      [
        'p12 export',
        [
          'certs',
          'p12',
          'export',
          '--cert',
          out('leak-worker.pem'),
          '--key',
          out('leak-worker.key'),
          '--chain',
          out('leak-ca.pem'),
          '--out',
          out('leak.p12'),
          '--password-env',
          'P12_PASSWORD',
        ],
        P12,
      ],
      [
        'p12 import',
        [
          'certs',
          'p12',
          'import',
          '--in',
          out('leak.p12'),
          '--out-cert',
          out('leak-imported.pem'),
          '--out-key',
          out('leak-imported.key'),
          '--password-env',
          'P12_PASSWORD',
        ],
        P12,
      ],
    ];
    const failures: Array<[string, string[], Record<string, string>?]> = [
      ['verify with the wrong key', ['certs', 'verify', '--cert', out('leak-worker.pem'), '--key', out('leak-csr.key'), '--ca', out('leak-ca.pem')]],
      ['verify against another CA', ['certs', 'verify', '--cert', out('leak-worker.pem'), '--key', out('leak-worker.key'), '--ca', pki.ca.certPath]],
      ['inspect a key file', ['certs', 'inspect', out('leak-worker.key')]],
      ['verify a key as the certificate', ['certs', 'verify', '--cert', out('leak-ca.key')]],
      [
        'issue with the key of another CA',
        [
          'certs',
          'issue',
          '--ca-cert',
          out('leak-ca.pem'),
          '--ca-key',
          pki.otherCa.keyPath,
          '--profile',
          'client',
          '--common-name',
          'x',
          '--out-cert',
          out('x.pem'),
          '--out-key',
          out('x.key'),
        ],
      ],
      [
        'sign a key as the CSR',
        [
          'certs',
          'sign',
          '--ca-cert',
          out('leak-ca.pem'),
          '--ca-key',
          out('leak-ca.key'),
          '--csr',
          out('leak-worker.key'),
          '--profile',
          'client',
          '--out-cert',
          out('y.pem'),
        ],
      ],
      [
        'p12 import with the wrong password',
        ['certs', 'p12', 'import', '--in', out('leak.p12'), '--out-cert', out('z.pem'), '--out-key', out('z.key'), '--password-env', 'P12_PASSWORD'],
        { P12_PASSWORD: `${P12_PASSWORD}-wrong` },
      ],
      [
        'p12 export of a mismatched key',
        ['certs', 'p12', 'export', '--cert', out('leak-worker.pem'), '--key', out('leak-csr.key'), '--out', out('w.p12'), '--password-env', 'P12_PASSWORD'],
        P12,
      ],
    ];
    const outputs: Array<[string, string]> = [];
    for (const [name, args, env] of steps) {
      const r = await bastion(args, env);
      assert.is(r.code, 0, `certs ${name} succeeds:\n${r.output.slice(0, 2000)}`);
      outputs.push([name, r.output]);
    }
    for (const [name, args, env] of failures) {
      const r = await bastion(args, env);
      assert.is.not(r.code, 0, `certs ${name} fails`);
      outputs.push([name, r.output]);
    }
    // The keys the commands made are secrets too (their certificates are not).
    const made: KnownSecret[] = ['leak-ca.key', 'leak-worker.key', 'leak-csr.key', 'leak-imported.key'].map((k) => ({
      name: k,
      value: fs.readFileSync(out(k), 'utf8'),
    }));
    const certsScan = new SecretScanner(
      [...secrets, ...made],
      [...publicTexts, ...['leak-ca.pem', 'leak-worker.pem', 'leak-csr.pem'].map((c) => fs.readFileSync(out(c), 'utf8'))],
    );
    for (const [name, text] of outputs) certsScan.collect(`certs ${name}`, text);
    certsScan.assertClean();
    scan.assertClean();
  }),
);

test(
  'the dev server refuses bad TLS material and API key files without printing them',
  timed(60_000, async () => {
    const scan = scanner();
    const runs = {
      keyOfAnotherCert: await bastion([
        'server',
        'start-dev',
        '--port',
        '0',
        '--log-level',
        'debug',
        '--tls-cert',
        pki.server.certPath,
        '--tls-key',
        pki.client.keyPath,
      ]),
      swapped: await bastion([
        'server',
        'start-dev',
        '--port',
        '0',
        '--log-level',
        'debug',
        '--tls-cert',
        pki.server.keyPath,
        '--tls-key',
        pki.server.certPath,
      ]),
      keyAsCa: await bastion([
        'server',
        'start-dev',
        '--port',
        '0',
        '--log-level',
        'debug',
        '--tls-cert',
        pki.server.certPath,
        '--tls-key',
        pki.server.keyPath,
        '--tls-client-ca',
        pki.ca.keyPath,
      ]),
      shortApiKey: await bastion([
        'server',
        'start-dev',
        '--port',
        '0',
        '--log-level',
        'debug',
        '--api-keys-file',
        file('short-keys', `${API_KEY.slice(0, 5)}\n${API_KEY} default\n`),
      ]),
    };
    for (const [name, r] of Object.entries(runs)) {
      assert.is.not(r.code, 0, `start-dev refuses ${name}`);
      scan.collect(`start-dev (${name})`, r.output);
    }
    // The long-running dev server's own output after everything above.
    scan.collect('dev server output', devServer.output());
    scan.assertClean();
  }),
);

test.run();
