/** A small flag parser with the Temporal CLI's conventions: `--flag value`, `--flag=value`, repeatable flags. */
import { CliError } from '../common/errors';

export interface FlagSpec {
  /** Takes a value (else boolean). */
  value?: boolean;
  repeatable?: boolean;
}

export function parseFlags(argv: string[], spec: Record<string, FlagSpec>, command: string): Record<string, string | string[] | boolean> {
  const out: Record<string, string | string[] | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new CliError('ERR_CLI_USAGE', `\`${command}\` takes no positional argument "${arg}". Run \`bastion ${command} --help\`.`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) throw new CliError('ERR_CLI_USAGE', `Unknown flag \`--${name}\` for \`${command}\`. Known flags: ${Object.keys(spec).map((k) => `--${k}`).join(', ')}.`);
    let value: string | boolean = true;
    if (s.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new CliError('ERR_CLI_USAGE', `Flag \`--${name}\` needs a value.`);
        value = next;
        i++;
      }
    }
    if (s.repeatable) out[name] = [...((out[name] as string[]) ?? []), String(value)];
    else out[name] = value;
  }
  return out;
}
