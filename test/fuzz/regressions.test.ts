/**
 * Defects the fuzz suite found and that were fixed, each pinned by the input that found it
 * (shrunk to its essence), so they stay fixed whatever seed a later run draws.
 */
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { rawServerSuite } from '../helpers/raw-server';
import { timed } from '../helpers/wait';
import { suite } from 'uvu';
import { createCertificateAuthority, issueCertificate, exportPkcs12, importPkcs12, inspectCertificate, CertsError } from '../../certs';
import * as der from '../../certs/asn1';
import { fromPem, toPem } from './der-inputs';
import { historyFromJson } from '../../src/engine/history-json';

const { test, svc } = rawServerSuite('fuzz regressions: dev server');

async function callError(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}

// Seed 2167174929 case 340: the parse error quoted 20 UTF-16 units of the query, cutting an
// emoji in half; grpc-js cannot percent-encode the lone surrogate and the call ended UNKNOWN.
test(
  'a visibility query error that quotes half an emoji answers INVALID_ARGUMENT, not UNKNOWN',
  timed(10_000, async () => {
    const query = `${'😀'.repeat(9)}é😀😀`; // the 20-unit window ends inside an emoji
    const e = await callError(svc().countWorkflowExecutions({ namespace: 'default', query }));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`query` could not be parsed near/);
    // The half emoji is shown escaped (the quoted input is JSON-escaped) or as U+FFFD, never as a lone surrogate.
    assert.not.ok(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(e.details), 'no lone surrogate in the message');
    assert.ok(e.details.includes('\ufffd') || /\\ud83d/.test(e.details), 'the half emoji is shown escaped or as U+FFFD');
    const list = await callError(svc().listWorkflowExecutions({ namespace: 'default', query }));
    assert.is(list.code, grpc.status.INVALID_ARGUMENT);
  }),
);

test.run();

const certs = suite('fuzz regressions: certificate toolkit');

/** Every node of a forge ASN.1 tree, depth first. */
function nodes(root: der.Asn1): der.Asn1[] {
  const out = [root];
  if (Array.isArray(root.value)) for (const c of root.value as der.Asn1[]) out.push(...nodes(c));
  return out;
}

// Seed 2438830543 (several cases): a certificate that node:crypto parses but whose fields
// are damaged threw RangeError/Error from the DER reader instead of ERR_CERTS_INVALID_PEM.
certs(
  'a certificate with a damaged SAN extension is ERR_CERTS_INVALID_PEM, not a RangeError',
  timed(20_000, async () => {
    const ca = await createCertificateAuthority({ commonName: 'Regression CA', keyType: 'ecdsa-p256' });
    const leaf = await issueCertificate({ ca, commonName: 'localhost', profile: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const root = der.fromDer(fromPem(leaf.certPem).der);
    const all = nodes(root);
    const sanOid = all.findIndex((n) => n.type === der.TYPE.OID && der.readOid(n) === '2.5.29.17');
    assert.ok(sanOid > 0, 'the fixture has a SAN extension');
    // The extension's value: an IP address SAN of 3 bytes (neither IPv4 nor IPv6).
    const value = all.slice(sanOid + 1).find((n) => n.type === der.TYPE.OCTETSTRING)!;
    value.value = der.toDer(der.seq([der.contextPrimitive(7, Buffer.from([1, 2, 3]))])).toString('binary');
    const damaged = toPem('CERTIFICATE', der.toDer(root));
    const err = (() => {
      try {
        inspectCertificate(damaged);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.instance(err, CertsError);
    assert.is((err as { code: string }).code, 'ERR_CERTS_INVALID_PEM');
  }),
);

// Found by review of the fuzz target: the PKCS#12 reader ran as many key-derivation
// iterations as the file asked for (2^31 blocks the event loop for hours).
certs(
  'a PKCS#12 file asking for 2^31 MAC iterations is refused at once',
  timed(20_000, async () => {
    const ca = await createCertificateAuthority({ commonName: 'Regression CA', keyType: 'ecdsa-p256' });
    const leaf = await issueCertificate({ ca, commonName: 'w', profile: 'client' });
    const p12 = exportPkcs12({ certPem: leaf.certPem, keyPem: leaf.keyPem, password: 'pw' });
    const root = der.fromDer(p12);
    const macData = der.childrenOf(root)[2]!;
    const iterations = der.childrenOf(macData)[2]!;
    iterations.value = '\x7f\xff\xff\xff';
    const err = (() => {
      try {
        importPkcs12(der.toDer(root), 'pw');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.instance(err, CertsError);
    assert.is((err as { code: string }).code, 'ERR_CERTS_INVALID_PKCS12');
    assert.match((err as Error).message, /more than 1,000,000 key-derivation iterations/);
  }),
);

certs.run();

const history = suite('fuzz regressions: history JSON');

// Seed 1686448018 (cases 17, 57, 85, …): an event nested thousands of levels deep overflowed
// the stack of the recursive readers (RangeError) instead of ERR_HISTORY_JSON_INVALID.
history('an event nested 100,000 levels deep is ERR_HISTORY_JSON_INVALID, not a stack overflow', () => {
  const depth = 100_000;
  const text = `{"events":[{"eventId":"1","eventType":"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED","workflowExecutionStartedEventAttributes":{"input":${'['.repeat(depth)}${']'.repeat(depth)}}}]}`;
  const err = (() => {
    try {
      historyFromJson(text);
    } catch (e) {
      return e;
    }
    return undefined;
  })() as { code?: string; message?: string };
  assert.is(err?.code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(err.message!, /`events\[0\]` nests more than 512 levels/);
});

history.run();
