/** `bastion certs inspect | verify`: reading certificates and checking them, for people and scripts. */
import { CertsError, CliError } from '../common/errors';
import { inspectCsr, type CsrInfo } from '../../certs/csr';
import { inspectCertificate, type CertificateInfo } from '../../certs/inspect';
import { checkClientCertificateForCloud, checkTemporalCloudCaBundle, type CloudCertificateFilter } from '../../certs/temporal-cloud';
import { verifyCertificate, type CertificateProblem } from '../../certs/verify';
import { wantsHelp } from './args';
import { list, optional, parseCertsFlags, readInput } from './certs-flags';
import { fields, print, printJson } from './output';

export const CERTS_INSPECT_HELP = `Usage: bastion certs inspect FILE... [--output text|json]

Prints what is in certificate files (one certificate or a bundle/chain) and certificate
signing requests: subject, issuer, validity, key, usages, SANs, fingerprint. Private
keys are never printed; a file holding only a key is reported as such.

Flags:
  -o, --output FORMAT     text (default) or json

Example:
  bastion certs inspect ca.pem worker-1.pem
`;

export const CERTS_VERIFY_HELP = `Usage: bastion certs verify --cert FILE [--key FILE] [--ca FILE]... [--purpose client|server] [--hostname H]
       bastion certs verify --temporal-cloud-ca BUNDLE [--cert FILE] [--filter-cn X] [--filter-o X] [--filter-ou X] [--filter-san X]

Names every rule a certificate breaks; exits 1 when there is any.

The first form checks a certificate: its validity window, that --key is its key, that
one of the --ca certificates issued it, that its extended key usage allows --purpose,
and that its SANs cover --hostname.

The second form checks a CA bundle against Temporal Cloud's upload rules (v3, CA:TRUE,
RSA/ECDSA, SHA-256 or stronger, chained, unique names, at most 16 certificates and
32 KB) and, with --cert, a client certificate against the bundle and the namespace's
certificate filters (one * at the start or end, case-insensitive).

Flags:
  --cert FILE             the certificate to check
  --key FILE              its private key (checked to match, never printed)
  --ca FILE               a CA certificate or bundle that must have issued --cert (repeatable)
  --purpose client|server the TLS role the certificate must allow
  --hostname H            a DNS name or IP address the SANs must cover
  --temporal-cloud-ca F   the CA bundle to check against Temporal Cloud's rules
  --filter-cn X, --filter-o X, --filter-ou X, --filter-san X
                          Temporal Cloud certificate filters the client certificate must match
  -o, --output FORMAT     text (default) or json

Examples:
  bastion certs verify --cert worker-1.pem --key worker-1.key --ca ca.pem --purpose client
  bastion certs verify --temporal-cloud-ca ca.pem --cert worker-1.pem --filter-o Acme --filter-cn "worker-*"
`;

const OUTPUT_FLAG = { output: { value: true, alias: 'o' } };

function outputFormat(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new CliError('ERR_CLI_USAGE', `\`--output\` must be text or json, got "${value}".`);
}

function certificateText(c: CertificateInfo, index: number, count: number): string {
  const sans = [
    ...c.subjectAltNames.dnsNames.map((d) => `DNS:${d}`),
    ...c.subjectAltNames.ipAddresses.map((i) => `IP:${i}`),
    ...c.subjectAltNames.uris.map((u) => `URI:${u}`),
    ...c.subjectAltNames.emails.map((e) => `email:${e}`),
  ];
  const key = c.keyAlgorithm + (c.keyCurve ? ` ${c.keyCurve}` : c.keyBits ? ` ${c.keyBits}` : '');
  return `${count > 1 ? `Certificate ${index + 1} of ${count}\n` : ''}${fields([
    ['Subject', c.subject || '(empty)'],
    ['Issuer', c.issuer + (c.selfSigned ? ' (self-signed)' : '')],
    ['Not before', c.notBefore.toISOString()],
    ['Not after', c.notAfter.toISOString()],
    ['Serial', c.serialNumber],
    ['Key', key],
    ['CA', c.isCA ? `yes${c.pathLength !== undefined ? ` (path length ${c.pathLength})` : ''}` : 'no'],
    ['Key usage', c.keyUsage.join(', ') || '-'],
    ['Extended usage', c.extendedKeyUsage.join(', ') || '-'],
    ['SANs', sans.join(', ') || '-'],
    ['Signature', c.signatureAlgorithm],
    ['SHA-256', c.fingerprint256],
    ['Version', String(c.version)],
  ])}`;
}

function csrText(c: CsrInfo): string {
  const sans = [
    ...c.subjectAltNames.dnsNames.map((d) => `DNS:${d}`),
    ...c.subjectAltNames.ipAddresses.map((i) => `IP:${i}`),
    ...c.subjectAltNames.uris.map((u) => `URI:${u}`),
  ];
  return `Certificate signing request\n${fields([
    ['Subject', c.subject || '(empty)'],
    ['Key', c.keyAlgorithm + (c.keyCurve ? ` ${c.keyCurve}` : c.keyBits ? ` ${c.keyBits}` : '')],
    ['SANs', sans.join(', ') || '-'],
    ['Signature', `${c.signatureAlgorithm} (${c.signatureValid ? 'valid' : 'INVALID: altered or damaged'})`],
  ])}`;
}

/** `bastion certs inspect FILE...`. */
export async function certsInspect(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(CERTS_INSPECT_HELP);
    return 0;
  }
  const { flags, positionals } = parseCertsFlags(argv, OUTPUT_FLAG, 'certs inspect', Infinity);
  const format = outputFormat(optional(flags, 'output'));
  if (positionals.length === 0) throw new CliError('ERR_CLI_USAGE', '`bastion certs inspect` needs at least one FILE. Run `bastion certs inspect --help`.');
  const results: Array<{ file: string; certificates?: CertificateInfo[]; inChainOrder?: boolean; csr?: CsrInfo }> = [];
  for (const file of positionals) {
    const text = readInput('FILE', file);
    if (/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(text)) results.push({ file, csr: inspectCsr(text) });
    else if (!text.includes('-----BEGIN CERTIFICATE-----') && /-{5}BEGIN [A-Z ]*PRIVATE KEY-{5}/.test(text)) {
      throw new CertsError(
        'ERR_CERTS_INVALID_PEM',
        `${file} holds a private key and no certificate; \`bastion certs inspect\` reads certificates and requests, and never prints keys.`,
      );
    } else results.push({ file, ...inspectCertificate(text) });
  }
  if (format === 'json') {
    printJson(results);
    return 0;
  }
  print(
    results
      .map((r) => {
        const body = r.csr ? csrText(r.csr) : r.certificates!.map((c, i, all) => certificateText(c, i, all.length)).join('\n\n');
        const order =
          r.certificates && r.certificates.length > 1
            ? `\n\n${r.inChainOrder ? 'The certificates form a chain, leaf first.' : 'The certificates are not in chain order (each issued by the next).'}`
            : '';
        return `${positionals.length > 1 ? `${r.file}\n` : ''}${body}${order}`;
      })
      .join('\n\n'),
  );
  return 0;
}

/** The library's option names in verify's hints, as the CLI's flags. */
const FLAG_FOR_OPTION: Readonly<Record<string, string>> = {
  keyPem: '`--key`',
  certPem: '`--cert`',
  caPems: '`--ca`',
  hostname: '`--hostname`',
  purpose: '`--purpose`',
  dnsNames: '`--dns-name`',
  ipAddresses: '`--ip`',
  commonName: '`--filter-cn`',
  organization: '`--filter-o`',
  organizationalUnit: '`--filter-ou`',
  subjectAlternativeName: '`--filter-san`',
};

/** A problem's message with option names as flags (`keyPem` → `--key`), profile as `--profile`. */
export function withCertsFlagNames(message: string): string {
  return message
    .replace(/`([A-Za-z]+)`/g, (m, name: string) => FLAG_FOR_OPTION[name] ?? m)
    .replace(/with profile '(client|server)'/g, 'with `bastion certs issue --profile $1`');
}

function report(format: 'text' | 'json', found: Array<{ what: string; problems: CertificateProblem[] }>): number {
  const sections = found.map((s) => ({ what: s.what, problems: s.problems.map((p) => ({ ...p, message: withCertsFlagNames(p.message) })) }));
  const ok = sections.every((s) => s.problems.length === 0);
  if (format === 'json') printJson({ ok, checks: sections.map((s) => ({ what: s.what, ok: s.problems.length === 0, problems: s.problems })) });
  else {
    for (const s of sections) {
      if (s.problems.length === 0) print(`ok: ${s.what}`);
      else print(`FAILED: ${s.what}\n${s.problems.map((p) => `  ${p.code}: ${p.message}`).join('\n')}`);
    }
  }
  return ok ? 0 : 1;
}

/** `bastion certs verify`. */
export async function certsVerify(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(CERTS_VERIFY_HELP);
    return 0;
  }
  const command = 'certs verify';
  const spec = {
    cert: { value: true },
    key: { value: true },
    ca: { value: true, repeatable: true },
    purpose: { value: true },
    hostname: { value: true },
    'temporal-cloud-ca': { value: true },
    'filter-cn': { value: true },
    'filter-o': { value: true },
    'filter-ou': { value: true },
    'filter-san': { value: true },
    ...OUTPUT_FLAG,
  };
  const { flags } = parseCertsFlags(argv, spec, command);
  const format = outputFormat(optional(flags, 'output'));
  const certPath = optional(flags, 'cert');
  const bundlePath = optional(flags, 'temporal-cloud-ca');
  const filters: CloudCertificateFilter = {};
  const filterFlags: Array<[string, keyof CloudCertificateFilter]> = [
    ['filter-cn', 'commonName'],
    ['filter-o', 'organization'],
    ['filter-ou', 'organizationalUnit'],
    ['filter-san', 'subjectAlternativeName'],
  ];
  for (const [flag, key] of filterFlags) {
    const v = optional(flags, flag);
    if (v !== undefined) filters[key] = v;
  }
  if (bundlePath === undefined) {
    if (certPath === undefined)
      throw new CliError('ERR_CLI_USAGE', '`bastion certs verify` needs `--cert FILE` or `--temporal-cloud-ca BUNDLE`. Run `bastion certs verify --help`.');
    const stray = filterFlags.map(([f]) => f).find((f) => flags[f] !== undefined);
    if (stray) throw new CliError('ERR_CLI_USAGE', `\`--${stray}\` is a Temporal Cloud filter; use it with \`--temporal-cloud-ca BUNDLE\`.`);
    const purpose = optional(flags, 'purpose');
    if (purpose !== undefined && purpose !== 'client' && purpose !== 'server')
      throw new CliError('ERR_CLI_USAGE', `\`--purpose\` must be client or server, got "${purpose}".`);
    const keyPath = optional(flags, 'key');
    const caPaths = list(flags, 'ca');
    const hostname = optional(flags, 'hostname');
    const result = verifyCertificate({
      certPem: readInput('--cert', certPath),
      ...(keyPath !== undefined ? { keyPem: readInput('--key', keyPath) } : {}),
      ...(caPaths.length ? { caPems: caPaths.map((p) => readInput('--ca', p)) } : {}),
      ...(purpose !== undefined ? { purpose } : {}),
      ...(hostname !== undefined ? { hostname } : {}),
    });
    return report(format, [{ what: `certificate ${certPath}`, problems: result.problems }]);
  }
  const stray = ['key', 'ca', 'purpose', 'hostname'].find((f) => flags[f] !== undefined);
  if (stray) throw new CliError('ERR_CLI_USAGE', `\`--${stray}\` is not used with \`--temporal-cloud-ca\`; run the two checks separately.`);
  if (certPath === undefined && Object.keys(filters).length > 0)
    throw new CliError('ERR_CLI_USAGE', 'The `--filter-*` flags check a client certificate; add `--cert FILE`.');
  const bundle = readInput('--temporal-cloud-ca', bundlePath);
  const sections = [{ what: `Temporal Cloud CA bundle ${bundlePath}`, problems: checkTemporalCloudCaBundle(bundle).problems }];
  if (certPath !== undefined) {
    sections.push({
      what: `client certificate ${certPath} for Temporal Cloud`,
      problems: checkClientCertificateForCloud(readInput('--cert', certPath), bundle, filters).problems,
    });
  }
  return report(format, sections);
}
