/**
 * Shared pieces of the `bastion certs` commands: flag parsing with positional files,
 * required flags, reading inputs, and writing outputs safely (keys with mode 0600,
 * never overwriting without `--force`, keys on stdout only with `--print-key`).
 */
import * as fs from 'node:fs';
import { CertsError, CliError } from '../common/errors';
import { KEY_TYPES, type KeyType } from '../../certs/keys';
import { parseFlags, type FlagSpec, type Flags } from './args';

/** The `--force` flag: replace existing output files. */
export const FORCE_FLAG: Record<string, FlagSpec> = { force: {} };

/** Subject and SAN flags shared by `issue` and `csr`. */
export const SUBJECT_FLAGS: Record<string, FlagSpec> = {
  'common-name': { value: true },
  organization: { value: true },
  'organizational-unit': { value: true },
  'dns-name': { value: true, repeatable: true },
  ip: { value: true, repeatable: true },
  uri: { value: true, repeatable: true },
};

/** Help lines for {@link SUBJECT_FLAGS}. */
export const SUBJECT_FLAGS_HELP = `  --common-name CN        subject common name (required)
  --organization O        subject organization
  --organizational-unit OU
                          subject organizational unit
  --dns-name NAME         a DNS subject alternative name (repeatable)
  --ip ADDRESS            an IP subject alternative name (repeatable)
  --uri URI               a URI subject alternative name, e.g. spiffe://acme/worker (repeatable)`;

/** Help lines for the output flags of commands that write a key. */
export const KEY_OUTPUT_HELP = `  --out-key FILE          where to write the private key (mode 0600); required unless --print-key
  --print-key             print the private key to stdout (it is never printed otherwise)
  --force                 replace existing output files (default: refuse)`;

/**
 * Parses `argv` like {@link parseFlags}, but collects arguments that are not flags or
 * flag values as positionals (for `inspect FILE...`).
 * @throws {CliError} `ERR_CLI_USAGE` as `parseFlags`, and for positionals when `maxPositionals` is 0
 */
export function parseCertsFlags(argv: string[], spec: Record<string, FlagSpec>, command: string, maxPositionals = 0): { flags: Flags; positionals: string[] } {
  const flagArgs: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-') && arg !== '-') {
      flagArgs.push(arg);
      const name = arg.replace(/^--?/, '');
      if (!arg.includes('=') && spec[name]?.value && i + 1 < argv.length) flagArgs.push(argv[++i]!);
    } else if (positionals.length < maxPositionals) positionals.push(arg);
    else flagArgs.push(arg);
  }
  return { flags: parseFlags(flagArgs, spec, command), positionals };
}

/** A string flag, or undefined. */
export function optional(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A flag that must be given.
 * @throws {CliError} `ERR_CLI_USAGE` naming the flag
 */
export function required(flags: Flags, name: string, command: string): string {
  const v = optional(flags, name);
  if (v === undefined || v === '') throw new CliError('ERR_CLI_USAGE', `\`bastion ${command}\` needs \`--${name}\`. Run \`bastion ${command} --help\`.`);
  return v;
}

/** A repeatable flag's values (empty when absent). */
export function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : [];
}

/**
 * `--validity-days N`, a whole number from 1 to 365, or undefined.
 * @throws {CliError} `ERR_CLI_USAGE` for anything else
 */
export function validityDays(flags: Flags): number | undefined {
  const v = optional(flags, 'validity-days');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 365)
    throw new CliError('ERR_CLI_USAGE', `\`--validity-days\` must be a whole number of days from 1 to 365, got "${v}".`);
  return n;
}

/**
 * `--key-type`, one of the toolkit's key types, or undefined.
 * @throws {CliError} `ERR_CLI_USAGE` naming the allowed values
 */
export function keyType(flags: Flags): KeyType | undefined {
  const v = optional(flags, 'key-type');
  if (v === undefined) return undefined;
  if (!KEY_TYPES.includes(v as KeyType)) throw new CliError('ERR_CLI_USAGE', `\`--key-type\` must be one of ${KEY_TYPES.join(', ')}; got "${v}".`);
  return v as KeyType;
}

/**
 * `--profile client|server`.
 * @throws {CliError} `ERR_CLI_USAGE` when missing or another value
 */
export function profile(flags: Flags, command: string): 'client' | 'server' {
  const v = required(flags, 'profile', command);
  if (v !== 'client' && v !== 'server') throw new CliError('ERR_CLI_USAGE', `\`--profile\` must be client or server, got "${v}".`);
  return v;
}

/**
 * Reads a file named by a flag, as text.
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` naming the flag and path (exit 1)
 */
export function readInput(flag: string, file: string): string {
  return readInputBytes(flag, file).toString('utf8');
}

/** Reads a file named by a flag, as bytes. @throws {CertsError} `ERR_CERTS_INVALID_OPTION` naming the flag and path */
export function readInputBytes(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CertsError('ERR_CERTS_INVALID_OPTION', `\`${flag}\` ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path.`);
  }
}

/** One file a command will write: a path (or `-` for stdout) and whether it holds a secret. */
export interface Output {
  flag: string;
  path: string;
  secret: boolean;
}

/**
 * Checks, before any work, that no output would be overwritten without `--force` and
 * that a secret goes to stdout only with `--print-key`.
 * @throws {CertsError} `ERR_CERTS_FILE_EXISTS` naming the flag and path; {CliError} `ERR_CLI_USAGE` for a key to `-`
 */
export function checkOutputs(outputs: Output[], force: boolean): void {
  for (const o of outputs) {
    if (o.path === '-') {
      if (o.secret)
        throw new CliError('ERR_CLI_USAGE', `\`${o.flag} -\` would print a private key; use \`--print-key\` to print it on purpose, or write it to a file.`);
      continue;
    }
    if (!force && fs.existsSync(o.path)) {
      throw new CertsError('ERR_CERTS_FILE_EXISTS', `\`${o.flag}\` ${o.path} exists already; choose another path, or pass \`--force\` to replace it.`);
    }
  }
}

/**
 * Writes one output: stdout for `-`, else a file. Secrets are created with mode 0600
 * and `fchmod`-ed in case the file existed (with `--force`); other files get 0644.
 * Without `force`, an existing file is never replaced (`wx`), even if it appeared since {@link checkOutputs}.
 * @throws {CertsError} `ERR_CERTS_FILE_EXISTS`; `ERR_CERTS_INVALID_OPTION` for a path that cannot be written
 */
export function writeOutput(o: Output, content: string | Buffer, force: boolean): void {
  if (o.path === '-') {
    process.stdout.write(content);
    return;
  }
  const mode = o.secret ? 0o600 : 0o644;
  let fd: number;
  try {
    fd = fs.openSync(o.path, force ? 'w' : 'wx', mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CertsError('ERR_CERTS_FILE_EXISTS', `\`${o.flag}\` ${o.path} exists already; choose another path, or pass \`--force\` to replace it.`);
    throw new CertsError('ERR_CERTS_INVALID_OPTION', `\`${o.flag}\` ${o.path} cannot be written (${code ?? 'error'}); check the path and permissions.`);
  }
  try {
    if (o.secret) fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

/** Where the key goes: `--out-key FILE`, or stdout with `--print-key`. Both may be given. */
export function keyOutputs(flags: Flags, command: string): Output[] {
  const file = optional(flags, 'out-key');
  const out: Output[] = [];
  if (file !== undefined) out.push({ flag: '--out-key', path: file, secret: true });
  if (flags['print-key'] === true) out.push({ flag: '--print-key', path: '-', secret: false });
  if (out.length === 0)
    throw new CliError(
      'ERR_CLI_USAGE',
      `\`bastion ${command}\` needs \`--out-key FILE\` (or \`--print-key\` to print the private key). Run \`bastion ${command} --help\`.`,
    );
  return out;
}

/** Prints warnings (for example a shortened validity) to stderr. */
export function printWarnings(warnings: string[]): void {
  for (const w of warnings) process.stderr.write(`bastion: warning: ${w}\n`);
}
