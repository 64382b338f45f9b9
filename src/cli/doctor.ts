/** `bastion doctor`: runs a connection step by step and explains the first thing that fails. */
import { CliError } from '../common/errors';
import { parsePositiveDuration } from '../common/duration';
import { diagnoseConnection } from '../doctor/diagnose';
import { DEFAULT_DOCTOR_TIMEOUT_MS, type Diagnosis, type DoctorStepStatus } from '../doctor/types';
import { parseFlags, wantsHelp } from './args';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings } from './operator-options';
import { print, printJson } from './output';

export const DOCTOR_HELP = `Usage: bastion doctor [--timeout DURATION] [--json] [flags]

Checks a connection step by step — config, dns, tcp, tls, client-certificate, grpc,
namespace, api-key — and, when one fails, says why and what to do.

Flags:
  --timeout DURATION      limit of each network step, e.g. 3s (default ${DEFAULT_DOCTOR_TIMEOUT_MS / 1000}s)
  --json                  print the result as JSON (same as --output json)

${CONNECTION_FLAGS_HELP}
Exit codes: 0 every step passed, 1 a step failed, 2 bad flags.

Example:
  bastion doctor --address ns.acct.tmprl.cloud:7233 -n ns.acct --tls-cert-path client.pem --tls-key-path client.key
`;

const MARK: Readonly<Record<DoctorStepStatus, string>> = { ok: '✓', failed: '✗', warning: '!', skipped: '-' };

/** The text report: one line per step, the fix under a failed or warning step. */
export function formatDiagnosis(d: Diagnosis): string {
  const width = Math.max(...d.steps.map((s) => s.name.length));
  const lines = [`bastion doctor: ${d.address}`];
  for (const s of d.steps) {
    lines.push(`${MARK[s.status]} ${s.name.padEnd(width)}  ${s.detail}`);
    if (s.cause && s.status === 'failed') lines.push(`  ${' '.repeat(width)}  cause: ${s.cause}`);
    if (s.fix && (s.status === 'failed' || s.status === 'warning')) lines.push(`  ${' '.repeat(width)}  fix: ${s.fix}`);
  }
  lines.push(d.ok ? 'All checks passed.' : `Failed at the ${d.steps.find((s) => s.status === 'failed')!.name} step.`);
  return lines.join('\n');
}

/**
 * Runs `bastion doctor`.
 * @returns 0 when every step passed, 1 when one failed
 * @throws {CliError} `ERR_CLI_USAGE` for unknown flags or a bad `--timeout`
 */
export async function doctor(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(DOCTOR_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, json: {}, timeout: { value: true } }, 'doctor');
  let timeoutMs = DEFAULT_DOCTOR_TIMEOUT_MS;
  if (flags.timeout !== undefined) {
    try {
      timeoutMs = parsePositiveDuration(flags.timeout, 'timeout');
    } catch {
      throw new CliError('ERR_CLI_USAGE', `\`--timeout\` must be a duration such as 3s or 500ms, got "${String(flags.timeout)}".`);
    }
  }
  const settings = operatorSettings(flags);
  const json = flags.json === true || settings.output === 'json' || settings.output === 'jsonl';
  const result = await diagnoseConnection({ ...settings.connection, namespace: settings.namespace, timeoutMs });
  if (json) printJson(result);
  else print(formatDiagnosis(result));
  return result.ok ? 0 : 1;
}
