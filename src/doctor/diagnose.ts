/**
 * `diagnoseConnection`: runs a connection step by step (config, dns, tcp, tls,
 * client-certificate, grpc, namespace, api-key) and, when one fails, names the step,
 * the raw cause and a fix a person can act on.
 */
import { invalidOption } from '../common/errors';
import { DEFAULT_NAMESPACE } from '../connection/envconfig';
import { checkConfig } from './config-check';
import { checkDns, checkTcp } from './dns-tcp';
import { checkGrpc } from './grpc-steps';
import { probePlaintext, probeTls } from './tls-probe';
import { DEFAULT_DOCTOR_TIMEOUT_MS, type DiagnoseOptions, type Diagnosis, type DoctorStep, type DoctorStepName } from './types';

const ORDER: readonly DoctorStepName[] = ['config', 'dns', 'tcp', 'tls', 'client-certificate', 'grpc', 'namespace', 'api-key'];

/**
 * Diagnoses a connection. Never throws for a connection problem: each one is a `failed`
 * step with `detail`, `cause` and `fix`; steps that a failure makes meaningless are
 * `skipped`. Each network step is bounded by `timeoutMs`.
 *
 * ```ts
 * const { ok, steps } = await diagnoseConnection({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct',
 *   tls: { clientCertPair: { crt: 'client.pem', key: 'client.key' } } });
 * for (const s of steps) console.log(s.status, s.name, s.detail, s.fix ?? '');
 * ```
 * @param options the connection options of `Connection.connect`, plus `namespace` (default 'default') and `timeoutMs` (default 5000)
 * @param control `signal` stops the diagnosis; the remaining steps fail with the abort reason
 * @throws {ConfigError} `ERR_INVALID_OPTION` when `options` is not an object, or `namespace`/`timeoutMs` has the wrong type
 */
export async function diagnoseConnection(options: DiagnoseOptions, control: { signal?: AbortSignal } = {}): Promise<Diagnosis> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidOption('options', 'must be an object of connection options.');
  const { namespace = DEFAULT_NAMESPACE, timeoutMs = DEFAULT_DOCTOR_TIMEOUT_MS, ...connectionOptions } = options;
  if (typeof namespace !== 'string' || namespace === '') throw invalidOption('namespace', 'must be a non-empty string.');
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw invalidOption('timeoutMs', `must be a positive number of milliseconds; got ${String(timeoutMs)}.`);
  const { signal } = control;
  const steps: DoctorStep[] = [];
  const finish = (address: string): Diagnosis => {
    const byName = new Map(steps.map((s) => [s.name, s]));
    const first = steps.find((s) => s.status === 'failed');
    const all = ORDER.map(
      (name) => byName.get(name) ?? { name, status: 'skipped' as const, detail: first ? `Skipped: the ${first.name} step failed.` : 'Not applicable.' },
    );
    return { ok: !all.some((s) => s.status === 'failed'), address, steps: all };
  };

  const cfg = checkConfig(connectionOptions);
  steps.push(cfg.step);
  if (cfg.fatal) return finish(String(connectionOptions.address ?? ''));
  const address = `${cfg.host!.includes(':') ? `[${cfg.host}]` : cfg.host}:${cfg.port}`;

  const resolved = await checkDns(cfg.host!, timeoutMs, signal);
  steps.push(resolved.step);
  if (!resolved.ip) return finish(address);
  const tcp = await checkTcp(resolved.ip, cfg.port!, timeoutMs, signal);
  steps.push(tcp);
  if (tcp.status === 'failed') return finish(address);

  if (cfg.tls) {
    const [tlsStep, clientStep] = await probeTls(cfg, resolved.ip, timeoutMs, signal);
    steps.push(tlsStep, clientStep);
  } else {
    steps.push(await probePlaintext(resolved.ip, cfg.port!, timeoutMs, signal), { name: 'client-certificate', status: 'skipped', detail: 'TLS is off.' });
  }
  if (steps.some((s) => s.status === 'failed') || !cfg.compiled) return finish(address);
  steps.push(...(await checkGrpc(cfg.compiled, namespace, timeoutMs, signal)));
  return finish(address);
}
