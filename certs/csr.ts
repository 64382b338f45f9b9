/**
 * Certificate signing requests (PKCS#10, RFC 2986): `createCsr` builds one with
 * `forge.asn1` and signs it with node:crypto (so ECDSA works), `inspectCsr` reads one,
 * and `signCsr` issues a certificate from one through the same issuing path as
 * `issueCertificate`. Only the subject and the requested SANs are taken from a request;
 * the CA decides key usage, extended key usage and validity.
 */
import * as crypto from 'node:crypto';
import forge from 'node-forge';
import { BastionError, CertsError } from '../src/common/errors';
import { withKeyPemView } from '../src/common/redact';
import * as der from './asn1';
import { checkLeafSubject, signedResult, signLeaf, type IssueCertificateOptions, type LeafSubject, type SignedCertificate } from './certificate-authority';
import { encodeName, nameToObject, nameToString, readName, type DistinguishedName } from './distinguished-name';
import { DEFAULT_CA_KEY_TYPE, assertKeyType, describeKey, generateKeyPair, parsePrivateKey, privateKeyToPem, type KeyType } from './keys';
import { extension, ipToBytes, OID, signatureAlgorithmFor } from './x509-builder';
import { ipFromBytes, SIGNATURE_ALGORITHMS } from './x509-reader';

/** PKCS#9 extensionRequest: the attribute that carries requested extensions. */
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** Hash of each signature algorithm a request may be signed with. */
const SIGNATURE_HASHES: Record<string, string> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
  [OID.sha256WithRsa]: 'sha256',
  [OID.sha384WithRsa]: 'sha384',
  [OID.sha512WithRsa]: 'sha512',
};

/** Options of {@link createCsr}: the subject, requested SANs, and a new key's type or an existing key. */
export interface CreateCsrOptions extends LeafSubject {
  /** Type of a new key; not with `keyPem`. @default 'ecdsa-p384' */
  keyType?: KeyType;
  /** An existing private key (PEM) to request a certificate for; not with `keyType`. */
  keyPem?: string;
}

/** What {@link createCsr} returns. */
export interface CreatedCsr {
  /** `CERTIFICATE REQUEST` PEM: send this to the CA. */
  csrPem: string;
  /** PKCS#8 PEM of the request's key. Keep it secret; write it with mode 0600. */
  keyPem: string;
}

/** A decoded request. */
export interface CsrInfo {
  /** RFC 4514 order: `CN=worker-1, O=Acme`. */
  subject: string;
  subjectName: DistinguishedName;
  keyAlgorithm: string;
  keyBits?: number;
  keyCurve?: string;
  /** The SANs in the extensionRequest attribute. */
  subjectAltNames: { dnsNames: string[]; ipAddresses: string[]; uris: string[] };
  signatureAlgorithm: string;
  /** Whether the request is signed by its own key. */
  signatureValid: boolean;
}

/** Options of {@link signCsr}: {@link IssueCertificateOptions} with the request in place of the subject. */
export interface SignCsrOptions extends Pick<IssueCertificateOptions, 'ca' | 'profile' | 'validityDays'> {
  /** The request, PEM (`BEGIN CERTIFICATE REQUEST`). */
  csrPem: string;
}

interface ParsedCsr {
  info: CsrInfo;
  publicKey: crypto.KeyObject;
}

const CSR_PEM = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/;

function pem(label: string, body: Buffer): string {
  return `-----BEGIN ${label}-----\n${body
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/**
 * Creates a PKCS#10 request for `commonName` (and `organization`, `organizationalUnit`)
 * with the SANs in an extensionRequest attribute, signed by a new key of `keyType`
 * or by `keyPem`.
 *
 * ```ts
 * const { csrPem, keyPem } = await createCsr({ commonName: 'worker-1', organization: 'Acme' });
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` for a bad name, SAN or key type, or both `keyType` and `keyPem`;
 *   `ERR_CERTS_INVALID_PEM` for an unreadable `keyPem`; `ERR_CERTS_UNSUPPORTED` for a key that is not RSA or ECDSA.
 */
export async function createCsr(options: CreateCsrOptions): Promise<CreatedCsr> {
  const { dnsNames, ipAddresses, uris } = checkLeafSubject(options);
  if (options.keyType !== undefined && options.keyPem !== undefined) {
    throw new CertsError(
      'ERR_CERTS_INVALID_OPTION',
      '`keyType` and `keyPem` cannot be used together: pass `keyPem` to reuse a key, or `keyType` to make a new one.',
    );
  }
  let privateKey: crypto.KeyObject;
  if (options.keyPem !== undefined) privateKey = parsePrivateKey('keyPem', options.keyPem);
  else {
    const keyType = options.keyType ?? DEFAULT_CA_KEY_TYPE;
    assertKeyType('keyType', keyType);
    privateKey = (await generateKeyPair(keyType)).privateKey;
  }
  if (privateKey.asymmetricKeyType !== 'rsa' && privateKey.asymmetricKeyType !== 'ec') {
    throw new CertsError('ERR_CERTS_UNSUPPORTED', `\`keyPem\` is a ${privateKey.asymmetricKeyType} key; certificate requests are made for RSA or ECDSA keys.`);
  }
  const publicKey = crypto.createPublicKey(privateKey);
  const attributes: der.Asn1[] = [];
  if (dnsNames.length + ipAddresses.length + uris.length > 0) {
    const names = [
      ...dnsNames.map((d) => der.contextPrimitive(2, Buffer.from(d, 'ascii'))),
      ...uris.map((u) => der.contextPrimitive(6, Buffer.from(u, 'ascii'))),
      ...ipAddresses.map((ip) => der.contextPrimitive(7, ipToBytes(ip))),
    ];
    attributes.push(der.seq([der.oid(EXTENSION_REQUEST), der.set([der.seq([extension(OID.subjectAltName, false, der.seq(names))])])]));
  }
  const info = der.seq([
    der.smallInt(0),
    encodeName({ commonName: options.commonName, organization: options.organization, organizationalUnit: options.organizationalUnit }),
    der.fromDer(publicKey.export({ type: 'spki', format: 'der' })),
    // attributes [0] IMPLICIT SET OF Attribute
    forge.asn1.create(der.CLASS.CONTEXT_SPECIFIC, 0, true, attributes),
  ]);
  const { hash, algorithm } = signatureAlgorithmFor(privateKey);
  const infoDer = der.toDer(info);
  const signature = crypto.sign(hash, infoDer, privateKey);
  const csrDer = der.toDer(der.seq([info, algorithm, der.bitStringBytes(signature)]));
  return withKeyPemView('CreatedCsr', { csrPem: pem('CERTIFICATE REQUEST', csrDer), keyPem: privateKeyToPem(privateKey) });
}

/** The exact bytes of the first element inside the outer SEQUENCE (what the signature covers). */
function firstElement(bytes: Buffer): Buffer {
  const header = (at: number): { start: number; end: number } => {
    const first = bytes[at + 1];
    if (first === undefined) throw new RangeError('truncated');
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    if (n === 0 || n > 4 || at + 2 + n > bytes.length) throw new RangeError('bad length');
    const len = bytes.readUIntBE(at + 2, n);
    return { start: at + 2 + n, end: at + 2 + n + len };
  };
  const outer = header(0);
  const inner = header(outer.start);
  if (inner.end > outer.end) throw new RangeError('bad length');
  return bytes.subarray(outer.start, inner.end);
}

function parseCsr(input: string, csrPem: string | Buffer): ParsedCsr {
  const text = typeof csrPem === 'string' ? csrPem : csrPem.toString('utf8');
  const m = CSR_PEM.exec(text);
  const unreadable = (): BastionError =>
    new CertsError(
      'ERR_CERTS_INVALID_PEM',
      `\`${input}\` is not a readable certificate signing request; pass PEM text with a \`-----BEGIN CERTIFICATE REQUEST-----\` block (PKCS#10).`,
    );
  if (!m) throw unreadable();
  const csrDer = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  try {
    const [infoNode, algNode, sigNode] = der.childrenOf(der.fromDer(csrDer));
    const [, subjectNode, spkiNode, attrsNode] = der.childrenOf(infoNode!);
    const publicKey = crypto.createPublicKey({ key: der.toDer(spkiNode!), format: 'der', type: 'spki' });
    const sigOid = der.readOid(der.childrenOf(algNode!)[0]!);
    const signature = der.bytesOf(sigNode!).subarray(1);
    const hash = SIGNATURE_HASHES[sigOid];
    let signatureValid = false;
    if (hash) {
      try {
        signatureValid = crypto.verify(hash, firstElement(csrDer), publicKey, signature);
      } catch {
        signatureValid = false;
      }
    }
    const altNames = { dnsNames: [] as string[], ipAddresses: [] as string[], uris: [] as string[] };
    for (const attr of attrsNode ? der.childrenOf(attrsNode) : []) {
      const [typeNode, values] = der.childrenOf(attr);
      if (!typeNode || der.readOid(typeNode) !== EXTENSION_REQUEST) continue;
      for (const ext of der.childrenOf(der.childrenOf(values!)[0]!)) {
        const parts = der.childrenOf(ext);
        if (der.readOid(parts[0]!) !== OID.subjectAltName) continue;
        for (const gn of der.childrenOf(der.fromDer(der.bytesOf(parts[parts.length - 1]!)))) {
          const raw = der.bytesOf(gn);
          if (gn.type === 2) altNames.dnsNames.push(raw.toString('ascii'));
          else if (gn.type === 6) altNames.uris.push(raw.toString('ascii'));
          else if (gn.type === 7) altNames.ipAddresses.push(ipFromBytes(raw));
        }
      }
    }
    const subject = readName(subjectNode!);
    const key = describeKey(publicKey);
    return {
      publicKey,
      info: {
        subject: nameToString(subject),
        subjectName: nameToObject(subject),
        keyAlgorithm: key.algorithm,
        ...(key.bits !== undefined ? { keyBits: key.bits } : {}),
        ...(key.curve !== undefined ? { keyCurve: key.curve } : {}),
        subjectAltNames: altNames,
        signatureAlgorithm: SIGNATURE_ALGORITHMS[sigOid] ?? sigOid,
        signatureValid,
      },
    };
  } catch (err) {
    if (err instanceof CertsError) throw err;
    throw unreadable();
  }
}

/**
 * Decodes a request: subject, key, requested SANs, and whether its self-signature holds.
 *
 * ```ts
 * const { subject, subjectAltNames, signatureValid } = inspectCsr(fs.readFileSync('worker.csr', 'utf8'));
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` when `csrPem` is not a readable request.
 */
export function inspectCsr(csrPem: string | Buffer): CsrInfo {
  return parseCsr('csrPem', csrPem).info;
}

/**
 * Issues a certificate for a request, as {@link issueCertificate} would for the same
 * subject and SANs: the request's self-signature is checked first; its subject
 * (CN, O, OU) and requested SANs are copied; everything else comes from `profile` and
 * the validity rules. The requester keeps the key, so the result has no `keyPem`.
 *
 * ```ts
 * const cert = await signCsr({ ca, csrPem, profile: 'client' });
 * ```
 * @throws {CertsError} `ERR_CERTS_CSR_SIGNATURE` when the request's signature does not verify;
 *   `ERR_CERTS_INVALID_PEM` for an unreadable request or CA; `ERR_CERTS_UNSUPPORTED` for a key
 *   that is not RSA or ECDSA; `ERR_CERTS_INVALID_OPTION` and `ERR_CERTS_KEY_MISMATCH` as `issueCertificate`.
 */
export async function signCsr(options: SignCsrOptions): Promise<SignedCertificate> {
  if (typeof options.csrPem !== 'string')
    throw new CertsError('ERR_CERTS_INVALID_OPTION', '`csrPem` must be PEM text with a `BEGIN CERTIFICATE REQUEST` block.');
  const { info, publicKey } = parseCsr('csrPem', options.csrPem);
  if (!info.signatureValid) {
    throw new CertsError(
      'ERR_CERTS_CSR_SIGNATURE',
      `\`csrPem\` (subject ${info.subject || '(empty)'}) is not signed by its own key (${info.signatureAlgorithm}); it was altered or damaged. Ask the requester for a new request.`,
    );
  }
  if (publicKey.asymmetricKeyType !== 'rsa' && publicKey.asymmetricKeyType !== 'ec') {
    throw new CertsError(
      'ERR_CERTS_UNSUPPORTED',
      `\`csrPem\` requests a certificate for a ${publicKey.asymmetricKeyType} key; the toolkit issues certificates for RSA and ECDSA keys.`,
    );
  }
  const name = info.subjectName;
  if (name.commonName === undefined) {
    throw new CertsError('ERR_CERTS_INVALID_OPTION', `\`csrPem\` (subject ${info.subject || '(empty)'}) has no common name (CN); ask for a request with one.`);
  }
  const { certPem, warnings } = await signLeaf(
    {
      ca: options.ca,
      profile: options.profile,
      validityDays: options.validityDays,
      commonName: name.commonName,
      organization: name.organization,
      organizationalUnit: name.organizationalUnit,
      ...info.subjectAltNames,
    },
    async () => publicKey,
  );
  return signedResult(certPem, publicKey, warnings);
}
