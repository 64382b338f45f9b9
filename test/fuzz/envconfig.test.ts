/**
 * Fuzzes `loadClientConnectConfig` (src/connection/envconfig*.ts) with generated
 * `temporal.toml` files: profiles of known and unknown keys, values of every TOML type,
 * PEM paths to real, damaged and missing files, PEM data, odd header names, `TEMPORAL_*`
 * variables, and text damage (truncation, duplicate tables, deep nesting). Invariants: it
 * returns or throws a Bastion error with a code (no TypeError or RangeError from inside),
 * and no error message holds a secret (api key, PEM data, codec auth).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadClientConnectConfig } from '../../src/connection/envconfig';
import { PROFILE_KEYS, TLS_KEYS, CODEC_KEYS } from '../../src/connection/envconfig-file';
import { createCertificateAuthority, issueCertificate } from '../../certs';
import { runFuzz, formatReport, heapAfterGc, heapVerdict, Violation, expectBastionError, type FuzzTarget } from './harness';
import { EDGE_NUMBERS, type Prng } from './prng';

const test = suite('fuzz: temporal.toml (loadClientConnectConfig)');
const SECRET = 'SECRETMARK';
let dir = '';
const pem: { cert: string; key: string; ca: string } = { cert: '', key: '', ca: '' };
let files: string[] = [];

interface Case {
  text: string;
  profile?: string;
  env: Record<string, string>;
  notes: string[];
}

const tomlString = (s: string): string => JSON.stringify(s).replace(/\\u([0-9a-f]{4})/gi, (m) => m.toUpperCase().replace('\\U', '\\u'));

function secretValue(rng: Prng): string {
  return `${SECRET}${rng.int(1e6)}`;
}

function value(key: string, rng: Prng, notes: string[]): string {
  if (rng.chance(0.04)) {
    notes.push(`${key}: wrong type`);
    return rng.pick([
      String(rng.pick(EDGE_NUMBERS)),
      'true',
      '1.5e308',
      'nan',
      '-inf',
      '[1, "a", true]',
      '{ a = 1 }',
      '1979-05-27T07:32:00Z',
      '[]',
      `"""${'multi\nline'}"""`,
    ]);
  }
  if (key.endsWith('_path')) {
    if (rng.chance(0.9)) return tomlString(rng.pick(files));
    notes.push(`${key}: odd path`);
    return tomlString(rng.pick([path.join(dir, 'missing.pem'), dir, '', '~/x.pem', `${dir}/${'a'.repeat(300)}`]));
  }
  if (key.endsWith('_data')) {
    const p = rng.pick([pem.cert, pem.key, pem.ca]);
    if (rng.chance(0.6)) return tomlString(p);
    notes.push(`${key}: damaged PEM data`);
    return tomlString(
      rng.chance(0.5)
        ? p.slice(0, rng.int(p.length))
        : `-----BEGIN CERTIFICATE-----\n${SECRET}${Buffer.from(rng.bytes(rng.length(90))).toString('base64')}\n-----END CERTIFICATE-----\n`,
    );
  }
  if (key === 'api_key' || key === 'auth') return tomlString(secretValue(rng));
  if (key === 'disabled' || key === 'disable_host_verification')
    return rng.chance(0.8) ? rng.pick(['true', 'false']) : tomlString(rng.pick(['1', 'yes', 'TRUE', '']));
  if (key === 'address')
    return tomlString(rng.pick(['localhost:7233', '127.0.0.1:0', '[::1]:7233', 'host', ':7233', 'a:99999', 'dns:///x:1', rng.string(rng.length(40))]));
  if (key === 'endpoint') return tomlString(rng.pick(['http://localhost:8888', 'ftp://x', 'not a url', '']));
  return tomlString(rng.string(rng.length(40)));
}

function table(name: string, keys: readonly string[], rng: Prng, notes: string[]): string {
  let out = `[${name}]\n`;
  for (const k of keys) if (rng.chance(0.5)) out += `${k} = ${value(k, rng, notes)}\n`;
  if (rng.chance(0.1)) {
    const k = rng.pick(['adress', 'tls_cert', 'Address', `"${rng.string(5).replace(/["\\\n\r]/g, '')}"`]);
    out += `${k} = "x"\n`;
    notes.push(`unknown key in [${name}]`);
  }
  return out;
}

const target: FuzzTarget<Case> = {
  name: 'envconfig',
  iterations: 6000,
  caseDeadlineMs: 10_000,
  generate(rng) {
    const notes: string[] = [];
    const names = ['default', 'prod', rng.pick(['"with space"', '"dot.ted"', '"ü"', '""', 'a-b_c'])];
    let text = rng.chance(0.1) ? `top = ${value('x', rng, notes)}\n` : '';
    for (const name of names.slice(0, rng.range(1, 3))) {
      const p = `profile.${name}`;
      text += table(
        p,
        PROFILE_KEYS.filter((k) => !['tls', 'codec', 'grpc_meta'].includes(k)),
        rng,
        notes,
      );
      if (rng.chance(0.6)) text += table(`${p}.tls`, TLS_KEYS, rng, notes);
      if (rng.chance(0.3)) text += table(`${p}.codec`, CODEC_KEYS, rng, notes);
      if (rng.chance(0.3)) {
        text += `[${p}.grpc_meta]\n`;
        for (let i = rng.range(1, 3); i > 0; i--)
          text += `${tomlString(rng.pick(['x-a', 'X-Upper', 'bad header', 'x-bin-bin', '', ':authority', rng.string(6)]))} = ${rng.chance(0.8) ? tomlString(rng.pick(['v', 'line\nbreak', rng.string(10)])) : '1'}\n`;
        notes.push('grpc_meta');
      }
    }
    if (rng.chance(0.08)) {
      text += rng.pick(['[profile.default]\n', '[profile]\ndefault = 1\n', 'profile = "x"\n', '[[profile.default.tls]]\n']);
      notes.push('duplicate or conflicting table');
    }
    if (rng.chance(0.05)) {
      const d = rng.pick([100, 3000, 100_000]);
      text += `deep = ${'['.repeat(d)}${']'.repeat(d)}\n`;
      notes.push(`array nested ${d}`);
    }
    if (rng.chance(0.04)) {
      const d = rng.pick([100, 3000, 100_000]);
      text += `deeptable = ${'{ a = '.repeat(d)}1${' }'.repeat(d)}\n`;
      notes.push(`inline table nested ${d}`);
    }
    if (rng.chance(0.1)) {
      const at = rng.int(text.length + 1);
      text = text.slice(0, at) + (rng.chance(0.5) ? rng.string(rng.range(1, 5)) : '') + text.slice(at + rng.int(3));
      notes.push(`text damaged at ${at}`);
    }
    const env: Record<string, string> = {};
    if (rng.chance(0.3)) {
      for (const k of [
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'TEMPORAL_API_KEY',
        'TEMPORAL_TLS',
        'TEMPORAL_TLS_CLIENT_CERT_PATH',
        'TEMPORAL_TLS_CLIENT_KEY_DATA',
        'TEMPORAL_TLS_SERVER_NAME',
        'TEMPORAL_CODEC_AUTH',
        'TEMPORAL_GRPC_META_X_FOO',
        'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
      ]) {
        if (rng.chance(0.3))
          env[k] =
            k.includes('API_KEY') || k.includes('AUTH') || k.includes('DATA')
              ? secretValue(rng)
              : k.endsWith('_PATH')
                ? rng.pick(files)
                : rng.pick(['', 'true', 'x', rng.string(8)]);
      }
      notes.push(`env ${Object.keys(env).join(',')}`);
    }
    const profile = rng.chance(0.7) ? undefined : rng.pick(['default', 'prod', 'missing', 'with space', '']);
    return { text, profile, env, notes };
  },
  describe(c) {
    return `toml ${c.text.length} chars, profile ${JSON.stringify(c.profile)}; ${c.notes.join('; ') || 'no mutation'}`;
  },
  async check(c, rng) {
    const file = path.join(dir, `case-${rng.int(4)}.toml`);
    fs.writeFileSync(file, c.text);
    try {
      loadClientConnectConfig({ configFile: file, env: c.env, profile: c.profile });
      return 'loaded';
    } catch (err) {
      expectBastionError(err, 'loadClientConnectConfig');
      if (String((err as Error).message).includes(SECRET))
        throw new Violation('answer', `an error message holds a secret value: code ${(err as { code: string }).code}`);
      return (err as { code: string }).code;
    }
  },
};

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-fuzz-env-'));
  const ca = await createCertificateAuthority({ commonName: 'Fuzz CA', keyType: 'ecdsa-p256' });
  const leaf = await issueCertificate({ ca, commonName: 'fuzz-client', profile: 'client' });
  pem.ca = ca.certPem;
  pem.cert = leaf.certPem;
  pem.key = leaf.keyPem;
  const write = (name: string, text: string | Buffer): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  files = [
    write('ca.pem', pem.ca),
    write('client.pem', pem.cert),
    write('client.key', pem.key),
    write('empty.pem', ''),
    write('garbage.pem', Buffer.from([0, 1, 2, 255, 254])),
    write('half.pem', pem.cert.slice(0, 200)),
    write('swapped.pem', pem.key),
  ];
});

test.after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('generated temporal.toml files load or fail with a Bastion error that holds no secret', async () => {
  const heapBefore = heapAfterGc();
  const report = await runFuzz(target);
  const { line, failure } = formatReport(target.name, 'dist/test/fuzz/envconfig.test.js', report);
  console.log(line);
  const growth = heapAfterGc() - heapBefore;
  if (failure) assert.unreachable(failure);
  const heap = heapVerdict(target.name, growth, 32 * 1024 * 1024, report.seed, `over ${report.cases} cases`);
  if (heap) assert.unreachable(heap);
});

test.run();
