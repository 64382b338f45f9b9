/**
 * Temporal Cloud's rules for an uploaded CA bundle and for the client certificates
 * workers present (see docs/certificates.md). Each check returns every problem found,
 * with a code and a sentence, so one run shows everything to fix before uploading.
 */
import { CertsError } from '../src/common/errors';
import { nameToString } from './distinguished-name';
import { issuedBy } from './inspect';
import type { CertificateProblem } from './verify';
import { OID } from './x509-builder';
import { parseCertificate, splitPem, type ParsedCertificate } from './x509-reader';

/** At most this many certificates in a Temporal Cloud CA bundle. */
export const CLOUD_MAX_BUNDLE_CERTIFICATES = 16;
/** At most this many bytes in a Temporal Cloud CA bundle. */
export const CLOUD_MAX_BUNDLE_BYTES = 32 * 1024;

/** Result of a Temporal Cloud check: `ok` when `problems` is empty. */
export interface CloudCheckResult {
  ok: boolean;
  problems: CertificateProblem[];
}

const STRONG_SIGNATURES = new Set<string>([
  OID.ecdsaWithSha256,
  OID.ecdsaWithSha384,
  OID.ecdsaWithSha512,
  OID.sha256WithRsa,
  OID.sha384WithRsa,
  OID.sha512WithRsa,
]);

function label(c: ParsedCertificate, index: number): string {
  return `certificate ${index + 1} (subject ${nameToString(c.subject) || '(empty)'})`;
}

function nameKey(c: ParsedCertificate): string {
  return nameToString(c.subject).toLowerCase();
}

/**
 * Checks a CA bundle against Temporal Cloud's upload rules: every certificate X.509 v3
 * and CA:TRUE, an RSA or ECDSA key signed with SHA-256 or stronger, each a root or issued
 * by another certificate in the bundle, no two with the same distinguished name
 * (case-insensitive), at most 16 certificates and 32 KB.
 *
 * ```ts
 * const { ok, problems } = checkTemporalCloudCaBundle(fs.readFileSync('ca.pem', 'utf8'));
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` when the bundle holds no readable certificate.
 */
export function checkTemporalCloudCaBundle(bundlePem: string | Buffer): CloudCheckResult {
  const problems: CertificateProblem[] = [];
  const bytes = Buffer.byteLength(bundlePem);
  if (bytes > CLOUD_MAX_BUNDLE_BYTES) {
    problems.push({
      code: 'BUNDLE_TOO_LARGE',
      message: `The bundle is ${bytes} bytes; Temporal Cloud accepts at most ${CLOUD_MAX_BUNDLE_BYTES} (32 KB). Remove CAs that no client uses any more.`,
    });
  }
  const certs = splitPem('bundlePem', bundlePem).map((d, i) => parseCertificate(`bundlePem (certificate ${i + 1})`, d));
  if (certs.length > CLOUD_MAX_BUNDLE_CERTIFICATES) {
    problems.push({
      code: 'TOO_MANY_CERTIFICATES',
      message: `The bundle holds ${certs.length} certificates; Temporal Cloud accepts at most ${CLOUD_MAX_BUNDLE_CERTIFICATES}. Remove CAs that no client uses any more.`,
    });
  }
  const seen = new Map<string, number>();
  certs.forEach((c, i) => {
    const who = label(c, i);
    if (c.version !== 3) problems.push({ code: 'NOT_V3', message: `${who} is X.509 v${c.version}; Temporal Cloud needs v3 certificates.` });
    if (!c.basicConstraints?.ca)
      problems.push({
        code: 'NOT_A_CA',
        message: `${who} is not a CA (basicConstraints CA:TRUE is missing); the bundle must hold only CA certificates, not client or server certificates.`,
      });
    const keyType = c.x509.publicKey.asymmetricKeyType;
    if (keyType !== 'rsa' && keyType !== 'ec')
      problems.push({ code: 'UNSUPPORTED_KEY', message: `${who} has a ${keyType} key; Temporal Cloud accepts RSA or ECDSA.` });
    if (!STRONG_SIGNATURES.has(c.signatureAlgorithmOid))
      problems.push({
        code: 'WEAK_SIGNATURE',
        message: `${who} is signed with ${c.signatureAlgorithmOid}; Temporal Cloud needs RSA or ECDSA with SHA-256 or stronger.`,
      });
    if (!issuedBy(c, c) && !certs.some((other, j) => j !== i && issuedBy(c, other))) {
      problems.push({
        code: 'NOT_CHAINED',
        message: `${who} is neither self-signed nor issued by another certificate in the bundle (its issuer is ${nameToString(c.issuer)}); add its issuer to the bundle.`,
      });
    }
    const key = nameKey(c);
    const first = seen.get(key);
    if (first !== undefined)
      problems.push({
        code: 'DUPLICATE_NAME',
        message: `${who} has the same distinguished name as certificate ${first + 1} (compared case-insensitively); Temporal Cloud needs every name to be unique.`,
      });
    else seen.set(key, i);
  });
  return { ok: problems.length === 0, problems };
}

/** Temporal Cloud certificate filters: every given value must match, case-insensitive, one `*` at the start or end. */
export interface CloudCertificateFilter {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  subjectAlternativeName?: string;
}

function filterMatches(option: string, pattern: string, values: string[]): boolean {
  const stars = (pattern.match(/\*/g) ?? []).length;
  if (stars > 1 || (stars === 1 && !pattern.startsWith('*') && !pattern.endsWith('*'))) {
    throw new CertsError('ERR_CERTS_INVALID_OPTION', `\`filters.${option}\` may hold one \`*\`, at its start or its end; got ${JSON.stringify(pattern)}.`);
  }
  const p = pattern.toLowerCase();
  return values.some((raw) => {
    const v = raw.toLowerCase();
    if (p.startsWith('*')) return v.endsWith(p.slice(1));
    if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
    return v === p;
  });
}

/**
 * Checks a client certificate as Temporal Cloud will: X.509 v3, CA:FALSE, key usage
 * with Digital Signature, issued by a CA in `bundlePem`, every distinguished name in
 * its chain unique (case-insensitive), in its validity window, and matching `filters`.
 *
 * ```ts
 * checkClientCertificateForCloud(clientPem, caBundlePem, { organization: 'acme', commonName: 'worker-*' });
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` for unreadable PEM; `ERR_CERTS_INVALID_OPTION` for a malformed filter.
 */
export function checkClientCertificateForCloud(certPem: string, bundlePem: string, filters?: CloudCertificateFilter): CloudCheckResult {
  const leaf = parseCertificate('certPem', splitPem('certPem', certPem)[0]!);
  const bundle = splitPem('bundlePem', bundlePem).map((d, i) => parseCertificate(`bundlePem (certificate ${i + 1})`, d));
  const problems: CertificateProblem[] = [];
  const who = `The client certificate (subject ${nameToString(leaf.subject) || '(empty)'})`;
  if (leaf.version !== 3) problems.push({ code: 'NOT_V3', message: `${who} is X.509 v${leaf.version}; Temporal Cloud needs v3.` });
  if (leaf.basicConstraints?.ca)
    problems.push({ code: 'NOT_A_LEAF', message: `${who} is a CA (CA:TRUE); workers must present a leaf certificate issued by the CA.` });
  if (leaf.keyUsage && !leaf.keyUsage.includes('digitalSignature'))
    problems.push({ code: 'NO_DIGITAL_SIGNATURE', message: `${who} lacks the Digital Signature key usage, which Temporal Cloud requires.` });
  const now = Date.now();
  if (leaf.notAfter.getTime() < now) problems.push({ code: 'EXPIRED', message: `${who} expired at ${leaf.notAfter.toISOString()}.` });
  if (leaf.notBefore.getTime() > now) problems.push({ code: 'NOT_YET_VALID', message: `${who} is not valid until ${leaf.notBefore.toISOString()}.` });

  // Walk up through the bundle to a root, collecting the chain.
  const chain = [leaf];
  let current = leaf;
  while (!issuedBy(current, current) && chain.length <= bundle.length + 1) {
    const issuer = bundle.find((c) => issuedBy(current, c) && !chain.includes(c));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  if (chain.length === 1 && !bundle.some((c) => issuedBy(leaf, c))) {
    problems.push({
      code: 'UNKNOWN_ISSUER',
      message: `${who} was issued by ${nameToString(leaf.issuer)}, which is not in the CA bundle; upload that CA (beside the current ones) before using this certificate.`,
    });
  }
  const names = chain.map(nameKey);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup !== -1)
    problems.push({
      code: 'DUPLICATE_NAME',
      message: `The chain of ${who.slice(4)} repeats the distinguished name ${nameToString(chain[dup]!.subject)} (compared case-insensitively); every name in the chain must be unique.`,
    });

  const attr = (short: string): string[] => leaf.subject.filter((a) => a.shortName === short).map((a) => a.value);
  const sans = [...leaf.altNames.dnsNames, ...leaf.altNames.ipAddresses, ...leaf.altNames.uris, ...leaf.altNames.emails];
  const checks: Array<[keyof CloudCertificateFilter, string[]]> = [
    ['commonName', attr('CN')],
    ['organization', attr('O')],
    ['organizationalUnit', attr('OU')],
    ['subjectAlternativeName', sans],
  ];
  for (const [option, values] of checks) {
    const pattern = filters?.[option];
    if (pattern === undefined) continue;
    if (!filterMatches(option, pattern, values)) {
      problems.push({
        code: 'FILTER_MISMATCH',
        message: `${who} does not match the filter \`${option}\` ${JSON.stringify(pattern)} (it has ${values.length ? values.map((v) => JSON.stringify(v)).join(', ') : 'none'}).`,
      });
    }
  }
  return { ok: problems.length === 0, problems };
}
