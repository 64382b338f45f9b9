/** `bastion certs p12 export | import`: PKCS#12 files, with passwords kept out of argv. */
import { CliError } from '../common/errors';
import { exportPkcs12, importPkcs12 } from '../../certs/pkcs12';
import { wantsHelp, type Flags } from './args';
import { checkOutputs, FORCE_FLAG, optional, parseCertsFlags, readInput, readInputBytes, required, writeOutput, type Output } from './certs-flags';
import { print } from './output';

export const CERTS_P12_HELP = `Usage: bastion certs p12 export --cert FILE --key FILE [--chain FILE]... --out FILE PASSWORD-FLAG [flags]
       bastion certs p12 import --in FILE --out-cert FILE --out-key FILE [--out-chain FILE] PASSWORD-FLAG [flags]

Writes or reads a password-protected PKCS#12 (.p12/.pfx) file holding a certificate, its
RSA or ECDSA private key and a chain. Exported files use OpenSSL 3's defaults (PBES2
AES-256-CBC, HMAC-SHA256 MAC, 2048 iterations); import also reads the older 3DES layout.

The password (one of these is required):
  --password-env VAR      read it from environment variable VAR (recommended)
  --password-file FILE    read it from the first line of FILE
  --password PASSWORD     give it on the command line; other users can see it in \`ps\` and
                          it lands in shell history, so prefer the two above

export flags:
  --cert FILE             the certificate (further certificates in it join the chain) (required)
  --key FILE              its private key (required)
  --chain FILE            CA certificates to include (repeatable)
  --friendly-name NAME    the name keychains show
  --out FILE              the .p12 file to write, mode 0600 (required)

import flags:
  --in FILE               the .p12/.pfx file (required)
  --out-cert FILE         where to write the certificate (default: stdout)
  --out-key FILE          where to write the private key, mode 0600; required unless --print-key
  --print-key             print the private key to stdout
  --out-chain FILE        where to write the other certificates (default: not written)

  --force                 replace existing output files (default: refuse)

Examples:
  P12_PASSWORD=… bastion certs p12 export --cert worker-1.pem --key worker-1.key --chain ca.pem --out worker-1.p12 --password-env P12_PASSWORD
  bastion certs p12 import --in worker-1.p12 --out-cert worker-1.pem --out-key worker-1.key --password-file p12.pass
`;

const PASSWORD_FLAGS = { 'password-env': { value: true }, 'password-file': { value: true }, password: { value: true } };

function password(flags: Flags, command: string): string {
  const given = ['password-env', 'password-file', 'password'].filter((f) => flags[f] !== undefined);
  if (given.length !== 1) {
    throw new CliError(
      'ERR_CLI_USAGE',
      `\`bastion ${command}\` needs exactly one of \`--password-env VAR\`, \`--password-file FILE\` or \`--password\`${given.length ? `; got ${given.map((g) => `\`--${g}\``).join(' and ')}` : ''}.`,
    );
  }
  const env = optional(flags, 'password-env');
  if (env !== undefined) {
    const value = process.env[env];
    if (value === undefined || value === '') throw new CliError('ERR_CLI_USAGE', `\`--password-env\` names ${env}, which is not set or empty.`);
    return value;
  }
  const file = optional(flags, 'password-file');
  if (file !== undefined) {
    const first = readInput('--password-file', file).split(/\r?\n/)[0] ?? '';
    if (first === '') throw new CliError('ERR_CLI_USAGE', `\`--password-file\` ${file} has an empty first line; put the password there.`);
    return first;
  }
  return optional(flags, 'password') ?? '';
}

async function p12Export(argv: string[]): Promise<number> {
  const command = 'certs p12 export';
  const spec = {
    cert: { value: true },
    key: { value: true },
    chain: { value: true, repeatable: true },
    'friendly-name': { value: true },
    out: { value: true },
    ...PASSWORD_FLAGS,
    ...FORCE_FLAG,
  };
  const { flags } = parseCertsFlags(argv, spec, command);
  const certPath = required(flags, 'cert', command);
  const keyPath = required(flags, 'key', command);
  const outPath = required(flags, 'out', command);
  const pass = password(flags, command);
  const force = flags.force === true;
  const out: Output = { flag: '--out', path: outPath, secret: true };
  if (outPath === '-') throw new CliError('ERR_CLI_USAGE', '`--out -` is not allowed: a PKCS#12 file holds a private key; write it to a file.');
  checkOutputs([out], force);
  const friendlyName = optional(flags, 'friendly-name');
  const bytes = exportPkcs12({
    certPem: readInput('--cert', certPath),
    keyPem: readInput('--key', keyPath),
    chainPems: ((flags.chain as string[] | undefined) ?? []).map((p) => readInput('--chain', p)),
    password: pass,
    ...(friendlyName !== undefined ? { friendlyName } : {}),
  });
  writeOutput(out, bytes, force);
  process.stderr.write(`bastion: wrote ${outPath} (PKCS#12, mode 0600)\n`);
  return 0;
}

async function p12Import(argv: string[]): Promise<number> {
  const command = 'certs p12 import';
  const spec = {
    in: { value: true },
    'out-cert': { value: true },
    'out-key': { value: true },
    'print-key': {},
    'out-chain': { value: true },
    ...PASSWORD_FLAGS,
    ...FORCE_FLAG,
  };
  const { flags } = parseCertsFlags(argv, spec, command);
  const inPath = required(flags, 'in', command);
  const pass = password(flags, command);
  const force = flags.force === true;
  const cert: Output = { flag: '--out-cert', path: optional(flags, 'out-cert') ?? '-', secret: false };
  const keyFile = optional(flags, 'out-key');
  const keys: Output[] = [];
  if (keyFile !== undefined) keys.push({ flag: '--out-key', path: keyFile, secret: true });
  if (flags['print-key'] === true) keys.push({ flag: '--print-key', path: '-', secret: false });
  if (keys.length === 0) throw new CliError('ERR_CLI_USAGE', `\`bastion ${command}\` needs \`--out-key FILE\` (or \`--print-key\` to print the private key).`);
  const chainPath = optional(flags, 'out-chain');
  const chain: Output[] = chainPath !== undefined ? [{ flag: '--out-chain', path: chainPath, secret: false }] : [];
  checkOutputs([cert, ...keys, ...chain], force);
  const imported = importPkcs12(readInputBytes('--in', inPath), pass, `--in ${inPath}`);
  writeOutput(cert, imported.certPem, force);
  for (const k of keys) writeOutput(k, imported.keyPem, force);
  if (chain[0]) writeOutput(chain[0], imported.chainPems.join(''), force);
  else if (imported.chainPems.length)
    process.stderr.write(`bastion: ${imported.chainPems.length} more certificate(s) in ${inPath} not written; pass --out-chain FILE to keep them.\n`);
  return 0;
}

/** `bastion certs p12 export|import`. */
export async function certsP12(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    process.stderr.write(`bastion: \`certs p12\` needs export or import.\n\n${CERTS_P12_HELP}`);
    return 2;
  }
  if (wantsHelp([sub]) || (sub !== 'export' && sub !== 'import' && wantsHelp(argv))) {
    print(CERTS_P12_HELP);
    return 0;
  }
  if (wantsHelp(rest)) {
    print(CERTS_P12_HELP);
    return 0;
  }
  if (sub === 'export') return p12Export(rest);
  if (sub === 'import') return p12Import(rest);
  throw new CliError('ERR_CLI_USAGE', `\`bastion certs p12\` takes export or import, got "${sub}". Run \`bastion certs p12 --help\`.`);
}
