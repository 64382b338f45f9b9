/** `bastion certs ca | issue | csr | sign`: making CAs, certificates and requests. */
import { createCertificateAuthority, issueCertificate, MAX_VALIDITY_DAYS } from '../../certs/certificate-authority';
import { createCsr, signCsr } from '../../certs/csr';
import { DEFAULT_CA_KEY_TYPE, KEY_TYPES } from '../../certs/keys';
import { wantsHelp } from './args';
import {
  checkOutputs,
  FORCE_FLAG,
  KEY_OUTPUT_HELP,
  keyOutputs,
  keyType,
  list,
  optional,
  parseCertsFlags,
  printWarnings,
  profile,
  readInput,
  required,
  SUBJECT_FLAGS,
  SUBJECT_FLAGS_HELP,
  validityDays,
  writeOutput,
  type Output,
} from './certs-flags';
import { print } from './output';

const KEY_OUT_FLAGS = { 'out-key': { value: true }, 'print-key': {}, ...FORCE_FLAG };

export const CERTS_CA_HELP = `Usage: bastion certs ca --common-name CN --out-cert FILE --out-key FILE [flags]

Creates a self-signed CA for mutual TLS (Temporal Cloud accepts it as a namespace CA):
X.509 v3, CA:TRUE, keyCertSign + cRLSign + digitalSignature.

Flags:
  --common-name CN        the CA's common name (required)
  --organization O        the CA's organization
  --organizational-unit OU
  --key-type TYPE         ${KEY_TYPES.join(', ')} (default ${DEFAULT_CA_KEY_TYPE})
  --validity-days N       1 to ${MAX_VALIDITY_DAYS} (default ${MAX_VALIDITY_DAYS})
  --out-cert FILE         where to write the CA certificate (default: stdout)
${KEY_OUTPUT_HELP}

Example:
  bastion certs ca --common-name "Acme Temporal CA" --organization Acme --out-cert ca.pem --out-key ca.key
`;

export const CERTS_ISSUE_HELP = `Usage: bastion certs issue --ca-cert FILE --ca-key FILE --profile client|server --common-name CN --out-key FILE [flags]

Issues a client or server certificate signed by a CA, with a new key of the CA's key
type (or --key-type). It expires one day before the CA unless --validity-days is shorter.

Flags:
  --ca-cert FILE          the CA certificate (required)
  --ca-key FILE           the CA's private key (required)
  --profile client|server client: EKU clientAuth (workers); server: EKU serverAuth (required)
${SUBJECT_FLAGS_HELP}
  --key-type TYPE         ${KEY_TYPES.join(', ')} (default: the CA's)
  --validity-days N       1 to ${MAX_VALIDITY_DAYS} (default: until one day before the CA expires)
  --out-cert FILE         where to write the certificate (default: stdout)
${KEY_OUTPUT_HELP}

Example:
  bastion certs issue --ca-cert ca.pem --ca-key ca.key --profile client --common-name worker-1 \\
    --organization Acme --out-cert worker-1.pem --out-key worker-1.key
`;

export const CERTS_CSR_HELP = `Usage: bastion certs csr --common-name CN --out-csr FILE --out-key FILE [flags]

Creates a certificate signing request (PKCS#10) and its private key. Send the request
to whoever holds the CA (\`bastion certs sign\`); the key never leaves this machine.

Flags:
${SUBJECT_FLAGS_HELP}
  --key-type TYPE         ${KEY_TYPES.join(', ')} (default ${DEFAULT_CA_KEY_TYPE}); not with --key
  --key FILE              request a certificate for this existing private key instead of a new one
  --out-csr FILE          where to write the request (default: stdout)
${KEY_OUTPUT_HELP}

Example:
  bastion certs csr --common-name worker-1 --organization Acme --out-csr worker-1.csr --out-key worker-1.key
`;

export const CERTS_SIGN_HELP = `Usage: bastion certs sign --ca-cert FILE --ca-key FILE --csr FILE --profile client|server [flags]

Issues a certificate for a signing request after checking the request's signature. The
subject (CN, O, OU) and requested SANs are copied; key usage, EKU and validity follow
--profile and the same rules as \`bastion certs issue\`.

Flags:
  --ca-cert FILE          the CA certificate (required)
  --ca-key FILE           the CA's private key (required)
  --csr FILE              the request (required)
  --profile client|server client: EKU clientAuth; server: EKU serverAuth (required)
  --validity-days N       1 to ${MAX_VALIDITY_DAYS} (default: until one day before the CA expires)
  --out-cert FILE         where to write the certificate (default: stdout)
  --force                 replace an existing --out-cert file

Example:
  bastion certs sign --ca-cert ca.pem --ca-key ca.key --csr worker-1.csr --profile client --out-cert worker-1.pem
`;

function certOutput(flags: Record<string, unknown>, flag: string): Output {
  const path = typeof flags[flag] === 'string' ? (flags[flag] as string) : '-';
  return { flag: `--${flag}`, path, secret: false };
}

function help(argv: string[], text: string): boolean {
  if (!wantsHelp(argv)) return false;
  print(text);
  return true;
}

function done(what: string, outputs: Output[], details: string): void {
  const files = outputs.filter((o) => o.path !== '-').map((o) => `${o.flag.replace(/^--(out-)?/, '')} → ${o.path}`);
  if (files.length) process.stderr.write(`bastion: ${what}${details}; wrote ${files.join(', ')}\n`);
}

/** `bastion certs ca`. */
export async function certsCa(argv: string[]): Promise<number> {
  if (help(argv, CERTS_CA_HELP)) return 0;
  const command = 'certs ca';
  const spec = {
    'common-name': { value: true },
    organization: { value: true },
    'organizational-unit': { value: true },
    'key-type': { value: true },
    'validity-days': { value: true },
    'out-cert': { value: true },
    ...KEY_OUT_FLAGS,
  };
  const { flags } = parseCertsFlags(argv, spec, command);
  const commonName = required(flags, 'common-name', command);
  const options = {
    commonName,
    organization: optional(flags, 'organization'),
    organizationalUnit: optional(flags, 'organizational-unit'),
    keyType: keyType(flags),
    validityDays: validityDays(flags),
  };
  const cert = certOutput(flags, 'out-cert');
  const keys = keyOutputs(flags, command);
  const force = flags.force === true;
  checkOutputs([cert, ...keys], force);
  const ca = await createCertificateAuthority(options);
  writeOutput(cert, ca.certPem, force);
  for (const k of keys) writeOutput(k, ca.keyPem, force);
  done(`CA ${commonName}`, [cert, ...keys], ` (${ca.keyType}, expires ${ca.notAfter.toISOString()})`);
  return 0;
}

/** `bastion certs issue`. */
export async function certsIssue(argv: string[]): Promise<number> {
  if (help(argv, CERTS_ISSUE_HELP)) return 0;
  const command = 'certs issue';
  const spec = {
    'ca-cert': { value: true },
    'ca-key': { value: true },
    profile: { value: true },
    ...SUBJECT_FLAGS,
    'key-type': { value: true },
    'validity-days': { value: true },
    'out-cert': { value: true },
    ...KEY_OUT_FLAGS,
  };
  const { flags } = parseCertsFlags(argv, spec, command);
  const caCertPath = required(flags, 'ca-cert', command);
  const caKeyPath = required(flags, 'ca-key', command);
  const prof = profile(flags, command);
  const commonName = required(flags, 'common-name', command);
  const cert = certOutput(flags, 'out-cert');
  const keys = keyOutputs(flags, command);
  const force = flags.force === true;
  const options = {
    profile: prof,
    commonName,
    organization: optional(flags, 'organization'),
    organizationalUnit: optional(flags, 'organizational-unit'),
    dnsNames: list(flags, 'dns-name'),
    ipAddresses: list(flags, 'ip'),
    uris: list(flags, 'uri'),
    keyType: keyType(flags),
    validityDays: validityDays(flags),
  };
  checkOutputs([cert, ...keys], force);
  const ca = { certPem: readInput('--ca-cert', caCertPath), keyPem: readInput('--ca-key', caKeyPath) };
  const issued = await issueCertificate({ ca, ...options });
  printWarnings(issued.warnings);
  writeOutput(cert, issued.certPem, force);
  for (const k of keys) writeOutput(k, issued.keyPem, force);
  done(`${prof} certificate ${commonName}`, [cert, ...keys], ` (${issued.keyType}, expires ${issued.notAfter.toISOString()})`);
  return 0;
}

/** `bastion certs csr`. */
export async function certsCsr(argv: string[]): Promise<number> {
  if (help(argv, CERTS_CSR_HELP)) return 0;
  const command = 'certs csr';
  const spec = { ...SUBJECT_FLAGS, 'key-type': { value: true }, key: { value: true }, 'out-csr': { value: true }, ...KEY_OUT_FLAGS };
  const { flags } = parseCertsFlags(argv, spec, command);
  const commonName = required(flags, 'common-name', command);
  const keyPath = optional(flags, 'key');
  const csr = certOutput(flags, 'out-csr');
  // With --key the key exists already: it is written again only when asked.
  const keys = keyPath !== undefined && flags['out-key'] === undefined && flags['print-key'] !== true ? [] : keyOutputs(flags, command);
  const force = flags.force === true;
  const options = {
    commonName,
    organization: optional(flags, 'organization'),
    organizationalUnit: optional(flags, 'organizational-unit'),
    dnsNames: list(flags, 'dns-name'),
    ipAddresses: list(flags, 'ip'),
    uris: list(flags, 'uri'),
    keyType: keyType(flags),
  };
  checkOutputs([csr, ...keys], force);
  const created = await createCsr({ ...options, ...(keyPath !== undefined ? { keyPem: readInput('--key', keyPath) } : {}) });
  writeOutput(csr, created.csrPem, force);
  for (const k of keys) writeOutput(k, created.keyPem, force);
  done(`certificate request ${commonName}`, [csr, ...keys], '');
  return 0;
}

/** `bastion certs sign`. */
export async function certsSign(argv: string[]): Promise<number> {
  if (help(argv, CERTS_SIGN_HELP)) return 0;
  const command = 'certs sign';
  const spec = {
    'ca-cert': { value: true },
    'ca-key': { value: true },
    csr: { value: true },
    profile: { value: true },
    'validity-days': { value: true },
    'out-cert': { value: true },
    ...FORCE_FLAG,
  };
  const { flags } = parseCertsFlags(argv, spec, command);
  const caCertPath = required(flags, 'ca-cert', command);
  const caKeyPath = required(flags, 'ca-key', command);
  const csrPath = required(flags, 'csr', command);
  const prof = profile(flags, command);
  const days = validityDays(flags);
  const cert = certOutput(flags, 'out-cert');
  const force = flags.force === true;
  checkOutputs([cert], force);
  const ca = { certPem: readInput('--ca-cert', caCertPath), keyPem: readInput('--ca-key', caKeyPath) };
  const signed = await signCsr({ ca, csrPem: readInput('--csr', csrPath), profile: prof, validityDays: days });
  printWarnings(signed.warnings);
  writeOutput(cert, signed.certPem, force);
  done(`${prof} certificate`, [cert], ` (expires ${signed.notAfter.toISOString()})`);
  return 0;
}
