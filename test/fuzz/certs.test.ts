/**
 * Fuzzes the certificate toolkit (`bastion-temporal/certs`: inspect, verify, PKCS#12 import, the
 * X.509 reader, CSR inspection, the Temporal Cloud bundle check) with ASN.1-aware
 * mutations of real DER (tags, lengths, contents, deep nesting) and damaged PEM armour.
 * Invariants: each function returns or throws a Bastion error with a code (never a
 * TypeError or RangeError from inside), settles within the deadline, and no message holds
 * PEM body text.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createCertificateAuthority,
  issueCertificate,
  exportPkcs12,
  importPkcs12,
  inspectCertificate,
  verifyCertificate,
  createCsr,
  inspectCsr,
  checkTemporalCloudCaBundle,
} from '../../certs';
import { parseCertificate } from '../../certs/x509-reader';
import { runFuzz, formatReport, heapAfterGc, heapVerdict, Violation, expectBastionError, type FuzzTarget } from './harness';
import { fromPem, mutateDer, mutatePemText, toPem } from './der-inputs';
import type { Prng } from './prng';

const test = suite('fuzz: certificate toolkit');
const PASSWORD = 'fuzz-password';

interface Fixture {
  label: string;
  pem: string;
}
const fixtures: { certs: Fixture[]; keys: Fixture[]; csrs: Fixture[]; p12: Buffer[] } = { certs: [], keys: [], csrs: [], p12: [] };

type Fn = 'inspectCertificate' | 'verifyCertificate' | 'importPkcs12' | 'parseCertificate' | 'inspectCsr' | 'checkTemporalCloudCaBundle';
const FNS: readonly Fn[] = ['inspectCertificate', 'verifyCertificate', 'importPkcs12', 'parseCertificate', 'inspectCsr', 'checkTemporalCloudCaBundle'];

interface Case {
  fn: Fn;
  pem?: string;
  der?: Buffer;
  others?: { keyPem?: string; caPems?: string[]; purpose?: 'client' | 'server'; hostname?: string; password?: string };
  notes: string[];
}

function mutatedPem(f: Fixture, rng: Prng, notes: string[]): string {
  if (rng.chance(0.25)) return mutatePemText(f.pem, rng, notes);
  const { der } = fromPem(f.pem);
  let out = der;
  for (let i = rng.chance(0.8) ? 1 : 2; i > 0; i--) out = mutateDer(out, rng, notes);
  return toPem(f.label, out);
}

const maybe = <T>(rng: Prng, p: number, make: () => T): T | undefined => (rng.chance(p) ? make() : undefined);

const target: FuzzTarget<Case> = {
  name: 'certs',
  iterations: 1200,
  caseDeadlineMs: 10_000,
  generate(rng) {
    const fn = rng.pick(FNS);
    const notes: string[] = [];
    switch (fn) {
      case 'importPkcs12': {
        let der = rng.pick(fixtures.p12);
        for (let i = rng.range(1, 2); i > 0; i--) der = mutateDer(der, rng, notes);
        return { fn, der, others: { password: rng.chance(0.9) ? PASSWORD : rng.pick(['', 'wrong', '\u00e9'.repeat(100)]) }, notes };
      }
      case 'parseCertificate': {
        let { der } = fromPem(rng.pick(fixtures.certs).pem);
        for (let i = rng.range(1, 2); i > 0; i--) der = mutateDer(der, rng, notes);
        return { fn, der, notes };
      }
      case 'inspectCsr':
        return { fn, pem: mutatedPem(rng.pick(fixtures.csrs), rng, notes), notes };
      case 'verifyCertificate':
        return {
          fn,
          pem: mutatedPem(rng.pick(fixtures.certs), rng, notes),
          others: {
            keyPem: maybe(rng, 0.5, () => (rng.chance(0.5) ? rng.pick(fixtures.keys).pem : mutatedPem(rng.pick(fixtures.keys), rng, notes))),
            caPems: maybe(rng, 0.5, () => [rng.chance(0.6) ? rng.pick(fixtures.certs).pem : mutatedPem(rng.pick(fixtures.certs), rng, notes)]),
            purpose: maybe(rng, 0.5, () => rng.pick(['client', 'server'] as const)),
            hostname: maybe(rng, 0.3, () => rng.pick(['localhost', '127.0.0.1', '::1', '*.x', '', 'a'.repeat(300), '[::1]', '999.1.1.1'])),
          },
          notes,
        };
      default: {
        // A chain: one to three certificates, one of them mutated.
        const n = rng.range(1, 3);
        const blocks = Array.from({ length: n }, () => rng.pick(fixtures.certs).pem);
        blocks[rng.int(n)] = mutatedPem(rng.pick(fixtures.certs), rng, notes);
        return { fn, pem: blocks.join(rng.pick(['', '\n', 'junk between blocks\n'])), notes };
      }
    }
  },
  describe(c) {
    const size = c.der ? `${c.der.length} DER bytes` : `${c.pem?.length ?? 0} PEM chars`;
    const o = c.others
      ? Object.entries(c.others)
          .filter(([k, v]) => v !== undefined && k !== 'password')
          .map(([k]) => k)
          .join(',')
      : '';
    return `${c.fn}(${size}${o ? `; with ${o}` : ''}): ${c.notes.join('; ') || 'no mutation'}`;
  },
  async check(c) {
    try {
      switch (c.fn) {
        case 'inspectCertificate':
          inspectCertificate(c.pem!);
          break;
        case 'verifyCertificate':
          verifyCertificate({ certPem: c.pem!, ...c.others });
          break;
        case 'importPkcs12':
          importPkcs12(c.der!, c.others!.password!);
          break;
        case 'parseCertificate':
          parseCertificate('fuzz', c.der!);
          break;
        case 'inspectCsr':
          inspectCsr(c.pem!);
          break;
        case 'checkTemporalCloudCaBundle':
          checkTemporalCloudCaBundle(c.pem!);
          break;
      }
      return `${c.fn} ok`;
    } catch (err) {
      expectBastionError(err, c.fn);
      const message = String((err as Error).message);
      if (/[A-Za-z0-9+/]{40,}/.test(message))
        throw new Violation('answer', `${c.fn}: an error message quotes PEM text (code ${(err as { code: string }).code})`);
      return `${c.fn} ${(err as { code: string }).code}`;
    }
  },
};

test.before(async () => {
  for (const keyType of ['ecdsa-p256', 'rsa-2048'] as const) {
    const ca = await createCertificateAuthority({ commonName: `Fuzz CA ${keyType}`, keyType });
    const client = await issueCertificate({ ca, commonName: 'fuzz-client', profile: 'client' });
    const server = await issueCertificate({ ca, commonName: 'localhost', profile: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    fixtures.certs.push(
      { label: 'CERTIFICATE', pem: ca.certPem },
      { label: 'CERTIFICATE', pem: client.certPem },
      { label: 'CERTIFICATE', pem: server.certPem },
    );
    fixtures.keys.push({ label: 'PRIVATE KEY', pem: client.keyPem }, { label: 'PRIVATE KEY', pem: ca.keyPem });
    const csr = await createCsr({ commonName: 'fuzz-csr', keyType });
    fixtures.csrs.push({ label: 'CERTIFICATE REQUEST', pem: csr.csrPem });
    fixtures.p12.push(exportPkcs12({ certPem: client.certPem, keyPem: client.keyPem, chainPems: [ca.certPem], password: PASSWORD }));
  }
});

test('mutated PEM, DER and PKCS#12 inputs give results or Bastion errors', async () => {
  const heapBefore = heapAfterGc();
  const report = await runFuzz(target);
  const { line, failure } = formatReport(target.name, 'dist/test/fuzz/certs.test.js', report);
  console.log(line);
  const growth = heapAfterGc() - heapBefore;
  if (failure) assert.unreachable(failure);
  const heap = heapVerdict(target.name, growth, 32 * 1024 * 1024, report.seed, `over ${report.cases} cases`);
  if (heap) assert.unreachable(heap);
});

test.run();
