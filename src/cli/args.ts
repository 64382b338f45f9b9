/**
 * A small flag parser with the Temporal CLI's conventions: `--flag value`, `--flag=value`,
 * one-letter aliases (`-w W`), repeatable flags, and booleans that take `--flag=false`.
 */
import { CliError } from '../common/errors';

export interface FlagSpec {
  /** Takes a value (else boolean). */
  value?: boolean;
  repeatable?: boolean;
  /** A one-letter alias, as the Temporal CLI's (`w` for `-w`). */
  alias?: string;
}

/** Parsed flags: strings for value flags, arrays for repeatable ones, booleans for the rest. */
export type Flags = Record<string, string | string[] | boolean>;

/**
 * Parses `argv` against `spec`.
 * @throws {CliError} `ERR_CLI_USAGE` for a positional argument, an unknown flag, or a missing value
 */
export function parseFlags(argv: string[], spec: Record<string, FlagSpec>, command: string): Flags {
  const out: Flags = {};
  const aliases = new Map(
    Object.entries(spec)
      .filter(([, s]) => s.alias)
      .map(([name, s]) => [s.alias!, name]),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const long = arg.startsWith('--');
    if (!long && !/^-[A-Za-z]/.test(arg))
      throw new CliError('ERR_CLI_USAGE', `\`${command}\` takes no positional argument "${arg}". Run \`bastion ${command} --help\`.`);
    const eq = arg.indexOf('=');
    const given = eq >= 0 ? arg.slice(long ? 2 : 1, eq) : arg.slice(long ? 2 : 1);
    const name = long ? given : aliases.get(given);
    const s = name === undefined ? undefined : spec[name];
    if (name === undefined || !s) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `Unknown flag \`${long ? '--' : '-'}${given}\` for \`${command}\`. Known flags: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')}.`,
      );
    }
    let value: string | boolean = true;
    if (s.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new CliError('ERR_CLI_USAGE', `Flag \`--${name}\` needs a value.`);
        value = next;
        i++;
      }
    } else if (eq >= 0) {
      const text = arg.slice(eq + 1).toLowerCase();
      if (text !== 'true' && text !== 'false') throw new CliError('ERR_CLI_USAGE', `Flag \`--${name}\` is true or false, got "${arg.slice(eq + 1)}".`);
      value = text === 'true';
    }
    if (s.repeatable) out[name] = [...((out[name] as string[]) ?? []), String(value)];
    else out[name] = value;
  }
  return out;
}

/** True when `argv` asks for help (`--help` or `-h`). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
