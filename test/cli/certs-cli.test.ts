/**
 * `bastion certs …` as a user runs it (the real binary, spawned): the Temporal Cloud flow
 * ca → issue → verify --temporal-cloud-ca; broken bundles and filters named; keys written
 * with mode 0600 and never printed without --print-key; no overwrite without --force;
 * CSR → sign; PKCS#12 export/import with the password from the environment; bad flags exit 2.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, spawnNode } from '../helpers/processes';
import { withTimeout } from '../helpers/wait';

const test = suite('bastion certs');
const KEY_ARMOR = /-{5}BEGIN [A-Z ]*PRIVATE KEY-{5}/;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-certs-cli-'));
const f = (name: string) => path.join(dir, name);

interface Run {
  code: number | null;
  out: string;
}

async function bastion(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const s = spawnNode([BIN, 'certs', ...args], env);
  const { code } = await withTimeout(20_000, s.exited, `bastion certs ${args.slice(0, 2).join(' ')}`);
  return { code, out: s.output() };
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

test.before(async () => {
  // One CA and one client certificate, shared by the tests below (made through the CLI).
  const ca = await bastion(['ca', '--common-name', 'Acme Temporal CA', '--organization', 'Acme', '--out-cert', f('ca.pem'), '--out-key', f('ca.key')]);
  assert.is(ca.code, 0, ca.out);
  const issued = await bastion([
    'issue',
    '--ca-cert',
    f('ca.pem'),
    '--ca-key',
    f('ca.key'),
    '--profile',
    'client',
    '--common-name',
    'worker-1',
    '--organization',
    'Acme',
    '--out-cert',
    f('worker.pem'),
    '--out-key',
    f('worker.key'),
  ]);
  assert.is(issued.code, 0, issued.out);
});

test('the Temporal Cloud flow: ca → issue client → verify --temporal-cloud-ca passes, keys 0600, no key on the console', () =>
  withTimeout(30_000, async () => {
    assert.is(mode(f('ca.key')), 0o600);
    assert.is(mode(f('worker.key')), 0o600);
    assert.match(fs.readFileSync(f('worker.key'), 'utf8'), KEY_ARMOR);
    const v = await bastion(['verify', '--temporal-cloud-ca', f('ca.pem'), '--cert', f('worker.pem'), '--filter-o', 'acme', '--filter-cn', 'worker-*']);
    assert.is(v.code, 0, v.out);
    assert.match(v.out, /ok: Temporal Cloud CA bundle/);
    assert.match(v.out, /ok: client certificate/);
    const full = await bastion(['verify', '--cert', f('worker.pem'), '--key', f('worker.key'), '--ca', f('ca.pem'), '--purpose', 'client']);
    assert.is(full.code, 0, full.out);
    const inspect = await bastion(['inspect', f('ca.pem'), f('worker.pem'), '--output', 'json']);
    assert.is(inspect.code, 0, inspect.out);
    const parsed = JSON.parse(inspect.out) as Array<{ certificates: Array<{ subject: string; isCA: boolean; keyCurve?: string }> }>;
    assert.is(parsed[0]!.certificates[0]!.isCA, true);
    assert.is(parsed[0]!.certificates[0]!.keyCurve, 'P-384', 'default CA key type');
    assert.is(parsed[1]!.certificates[0]!.subject, 'CN=worker-1, O=Acme');
    const keyInspect = await bastion(['inspect', f('worker.key')]);
    assert.is(keyInspect.code, 1);
    assert.match(keyInspect.out, /holds a private key/);
    for (const out of [v.out, full.out, inspect.out, keyInspect.out]) assert.not.match(out, KEY_ARMOR);
  }));

test('a broken bundle and an unmatched filter are named, and exit 1', () =>
  withTimeout(30_000, async () => {
    fs.writeFileSync(f('bundle-with-leaf.pem'), fs.readFileSync(f('ca.pem'), 'utf8') + fs.readFileSync(f('worker.pem'), 'utf8'));
    const bundle = await bastion(['verify', '--temporal-cloud-ca', f('bundle-with-leaf.pem')]);
    assert.is(bundle.code, 1);
    assert.match(bundle.out, /FAILED: Temporal Cloud CA bundle/);
    assert.match(bundle.out, /NOT_A_CA: certificate 2 \(subject CN=worker-1, O=Acme\)/);
    const filter = await bastion(['verify', '--temporal-cloud-ca', f('ca.pem'), '--cert', f('worker.pem'), '--filter-ou', 'payments']);
    assert.is(filter.code, 1);
    // Hints name the CLI's flags, not the library's options.
    assert.match(filter.out, /FILTER_MISMATCH: .*`--filter-ou` "payments"/);
    assert.not.match(filter.out, /organizationalUnit/);
    const wrongKey = await bastion(['verify', '--cert', f('worker.pem'), '--key', f('ca.key'), '--purpose', 'server', '--output', 'json']);
    assert.is(wrongKey.code, 1);
    const report = JSON.parse(wrongKey.out) as { ok: boolean; checks: Array<{ problems: Array<{ code: string }> }> };
    const problems = report.checks[0]!.problems as Array<{ code: string; message: string }>;
    assert.equal(
      problems.map((p) => p.code),
      ['KEY_MISMATCH', 'PURPOSE_NOT_ALLOWED'],
    );
    assert.match(problems[0]!.message, /^`--key` does not match/);
    assert.match(problems[1]!.message, /Issue it with `bastion certs issue --profile server`/);
    const wrongHost = await bastion(['verify', '--cert', f('worker.pem'), '--hostname', 'db.acme.internal']);
    assert.is(wrongHost.code, 1);
    assert.match(wrongHost.out, /`--hostname` db\.acme\.internal is not among .* Issue it with `--dns-name` or `--ip` covering/);
    assert.not.match(wrongHost.out, /dnsNames|ipAddresses|keyPem/);
    assert.not.match(wrongKey.out, KEY_ARMOR);
  }));

test('the private key reaches stdout only with --print-key', () =>
  withTimeout(30_000, async () => {
    const noKey = await bastion(['ca', '--common-name', 'Printed CA', '--out-cert', '-']);
    assert.is(noKey.code, 2);
    assert.match(noKey.out, /--out-key FILE.*--print-key/);
    const dash = await bastion(['ca', '--common-name', 'Printed CA', '--out-key', '-']);
    assert.is(dash.code, 2);
    assert.match(dash.out, /`--out-key -` would print a private key; use `--print-key`/);
    assert.not.match(noKey.out + dash.out, KEY_ARMOR);
    const printed = await bastion(['ca', '--common-name', 'Printed CA', '--key-type', 'ecdsa-p256', '--print-key']);
    assert.is(printed.code, 0, printed.out);
    assert.match(printed.out, /-----BEGIN CERTIFICATE-----/);
    assert.match(printed.out, KEY_ARMOR);
  }));

test('an existing file is not overwritten without --force; with --force a key file becomes 0600', () =>
  withTimeout(30_000, async () => {
    fs.writeFileSync(f('taken.key'), 'keep me\n', { mode: 0o644 });
    const refused = await bastion([
      'issue',
      '--ca-cert',
      f('ca.pem'),
      '--ca-key',
      f('ca.key'),
      '--profile',
      'client',
      '--common-name',
      'w2',
      '--out-cert',
      f('w2.pem'),
      '--out-key',
      f('taken.key'),
    ]);
    assert.is(refused.code, 1);
    assert.match(refused.out, /`--out-key` .*taken\.key exists already; .*`--force`/);
    assert.is(fs.readFileSync(f('taken.key'), 'utf8'), 'keep me\n');
    assert.not.ok(fs.existsSync(f('w2.pem')), 'nothing is written when any output is refused');
    const forced = await bastion([
      'issue',
      '--ca-cert',
      f('ca.pem'),
      '--ca-key',
      f('ca.key'),
      '--profile',
      'client',
      '--common-name',
      'w2',
      '--out-cert',
      f('w2.pem'),
      '--out-key',
      f('taken.key'),
      '--force',
    ]);
    assert.is(forced.code, 0, forced.out);
    assert.is(mode(f('taken.key')), 0o600);
    assert.match(fs.readFileSync(f('taken.key'), 'utf8'), KEY_ARMOR);
  }));

test('csr → sign makes a server certificate that verifies for its hostname', () =>
  withTimeout(30_000, async () => {
    const csr = await bastion([
      'csr',
      '--common-name',
      'frontend',
      '--dns-name',
      'frontend.acme.internal',
      '--ip',
      '10.1.2.3',
      '--key-type',
      'rsa-2048',
      '--out-csr',
      f('frontend.csr'),
      '--out-key',
      f('frontend.key'),
    ]);
    assert.is(csr.code, 0, csr.out);
    assert.is(mode(f('frontend.key')), 0o600);
    const signed = await bastion([
      'sign',
      '--ca-cert',
      f('ca.pem'),
      '--ca-key',
      f('ca.key'),
      '--csr',
      f('frontend.csr'),
      '--profile',
      'server',
      '--out-cert',
      f('frontend.pem'),
    ]);
    assert.is(signed.code, 0, signed.out);
    const v = await bastion([
      'verify',
      '--cert',
      f('frontend.pem'),
      '--key',
      f('frontend.key'),
      '--ca',
      f('ca.pem'),
      '--purpose',
      'server',
      '--hostname',
      '10.1.2.3',
    ]);
    assert.is(v.code, 0, v.out);
    const inspect = await bastion(['inspect', f('frontend.csr')]);
    assert.match(inspect.out, /DNS:frontend\.acme\.internal, IP:10\.1\.2\.3/);
    assert.match(inspect.out, /\(valid\)/);
  }));

test('p12 export with --password-env is read by openssl; import writes the pair back; a wrong password exits 1', () =>
  withTimeout(30_000, async () => {
    const secret = 'p12-cli-secret-value';
    const exp = await bastion(
      ['p12', 'export', '--cert', f('worker.pem'), '--key', f('worker.key'), '--chain', f('ca.pem'), '--out', f('worker.p12'), '--password-env', 'P12_PASS'],
      { P12_PASS: secret },
    );
    assert.is(exp.code, 0, exp.out);
    assert.is(mode(f('worker.p12')), 0o600);
    const dumped = execFileSync('/usr/bin/openssl', ['pkcs12', '-in', f('worker.p12'), '-nokeys', '-passin', `pass:${secret}`], { encoding: 'utf8' });
    assert.match(dumped, /subject=O = Acme, CN = worker-1/);
    fs.writeFileSync(f('p12.pass'), `${secret}\n`, { mode: 0o600 });
    const imp = await bastion([
      'p12',
      'import',
      '--in',
      f('worker.p12'),
      '--out-cert',
      f('back.pem'),
      '--out-key',
      f('back.key'),
      '--out-chain',
      f('back-chain.pem'),
      '--password-file',
      f('p12.pass'),
    ]);
    assert.is(imp.code, 0, imp.out);
    assert.is(fs.readFileSync(f('back.pem'), 'utf8'), fs.readFileSync(f('worker.pem'), 'utf8'));
    assert.is(fs.readFileSync(f('back-chain.pem'), 'utf8'), fs.readFileSync(f('ca.pem'), 'utf8'));
    assert.is(mode(f('back.key')), 0o600);
    const wrong = await bastion(['p12', 'import', '--in', f('worker.p12'), '--out-cert', f('x.pem'), '--out-key', f('x.key'), '--password-env', 'P12_PASS'], {
      P12_PASS: 'not-the-secret',
    });
    assert.is(wrong.code, 1);
    assert.match(wrong.out, /The password does not open `--in .*worker\.p12`/);
    for (const out of [exp.out, imp.out, wrong.out]) {
      assert.not.ok(out.includes(secret) || out.includes('not-the-secret'), 'no password on the console');
      assert.not.match(out, KEY_ARMOR);
    }
    const none = await bastion(['p12', 'export', '--cert', f('worker.pem'), '--key', f('worker.key'), '--out', f('y.p12')]);
    assert.is(none.code, 2);
    assert.match(none.out, /exactly one of `--password-env VAR`/);
  }));

test('bad flags exit 2 with a message naming the flag', () =>
  withTimeout(30_000, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['ca', '--common-name', 'X', '--out-key', f('n1.key'), '--validity-days', '400'], /`--validity-days` must be a whole number of days from 1 to 365/],
      [['ca', '--common-name', 'X', '--out-key', f('n2.key'), '--key-type', 'dsa'], /`--key-type` must be one of/],
      [['ca', '--out-key', f('n3.key')], /needs `--common-name`/],
      [
        ['issue', '--ca-cert', f('ca.pem'), '--ca-key', f('ca.key'), '--profile', 'admin', '--common-name', 'w', '--out-key', f('n4.key')],
        /`--profile` must be client or server/,
      ],
      [['verify', '--cert', f('worker.pem'), '--bogus'], /Unknown flag `--bogus` for `certs verify`/],
      [['verify', '--cert', f('worker.pem'), '--filter-cn', 'x'], /`--filter-cn` is a Temporal Cloud filter/],
      [['inspect'], /needs at least one FILE/],
    ];
    for (const [args, message] of cases) {
      const r = await bastion(args);
      assert.is(r.code, 2, `${args.join(' ')}: ${r.out}`);
      assert.match(r.out, message);
    }
    const help = await bastion(['issue', '--help']);
    assert.is(help.code, 0);
    assert.match(help.out, /--print-key/);
  }));

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
