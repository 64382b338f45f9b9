/**
 * When the native engine cannot connect, `bastion doctor` runs the same settings step by
 * step, and the error carries its diagnosis: the failed step's name, the raw cause and the
 * fix, in the message and as `error.diagnosis`.
 */
import { ConnectionError, type BastionError } from '../src/common/errors';
import { describeCause } from '../src/common/redact';
import { describeTls } from '../src/connection/tls-credentials';
import type { CompiledConnectionOptions } from '../src/connection/connection-options';
import { diagnoseConnection } from '../src/doctor/diagnose';
import type { Diagnosis, DoctorStep } from '../src/doctor/types';

/** A Bastion error with the doctor's diagnosis of the same settings. */
export type DiagnosedError = BastionError & { readonly diagnosis?: Diagnosis };

/** The settings of compiled options as `diagnoseConnection` takes them (the current pair of a watcher). */
function doctorOptions(options: CompiledConnectionOptions, namespace: string, timeoutMs: number): Parameters<typeof diagnoseConnection>[0] {
  const tls = options.tls;
  return {
    address: options.address,
    namespace,
    timeoutMs,
    ...(tls
      ? {
          tls: {
            ...(tls.serverRootCACertificate ? { serverRootCACertificate: tls.serverRootCACertificate } : {}),
            ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
            ...(tls.clientCertPair ? { clientCertPair: { crt: tls.clientCertPair.crt, key: tls.clientCertPair.key } } : {}),
          },
        }
      : { tls: false }),
    ...(typeof options.apiKey === 'string' ? { apiKey: options.apiKey } : {}),
    ...(Object.keys(options.metadata).length > 0 ? { metadata: { ...options.metadata } } : {}),
  };
}

/** The doctor's diagnosis of `options`, or undefined when the doctor itself could not run. */
export async function diagnose(options: CompiledConnectionOptions, namespace: string, timeoutMs: number): Promise<Diagnosis | undefined> {
  try {
    return await diagnoseConnection(doctorOptions(options, namespace, timeoutMs));
  } catch {
    return undefined;
  }
}

/** `the tls step failed: … Cause: … Fix: …` for the first failed step (or the first warning). */
export function describeDiagnosis(diagnosis: Diagnosis | undefined): string {
  const step: DoctorStep | undefined = diagnosis?.steps.find((s) => s.status === 'failed') ?? diagnosis?.steps.find((s) => s.status === 'warning');
  if (!step) return 'bastion doctor found every step passing, so the failure came after the handshake (see the cause).';
  const parts = [`bastion doctor: the \`${step.name}\` step ${step.status === 'failed' ? 'failed' : 'warns'}: ${step.detail}`];
  if (step.cause) parts.push(`Cause: ${step.cause}.`);
  if (step.fix) parts.push(`Fix: ${step.fix}`);
  return parts.join(' ');
}

/** Attaches `diagnosis` to `error` (not enumerable in the message, but readable and JSON-visible). */
export function withDiagnosis<E extends BastionError>(error: E, diagnosis: Diagnosis | undefined): E & { readonly diagnosis?: Diagnosis } {
  if (diagnosis) Object.defineProperty(error, 'diagnosis', { value: diagnosis, enumerable: true });
  return error as E & { readonly diagnosis?: Diagnosis };
}

/**
 * `ERR_CONNECT_FAILED` for the native engine: the address, the TLS state, Core's words,
 * and the doctor's named step with its cause and fix.
 */
export async function nativeConnectFailed(
  options: CompiledConnectionOptions,
  namespace: string,
  cause: unknown,
  profile: string | undefined,
): Promise<DiagnosedError> {
  const diagnosis = await diagnose(options, namespace, Math.min(options.connectTimeoutMs, 5000));
  const rerun = profile === undefined ? 'bastion doctor' : `bastion doctor --profile ${profile}`;
  const message =
    `Could not connect to ${options.address} through the native engine (${describeTls(options.tls)}): ${describeCause(cause).replace(/\.$/, '')}. ` +
    `${describeDiagnosis(diagnosis)} Run \`${rerun}\` with the same settings to see every step.`;
  return withDiagnosis(new ConnectionError('ERR_CONNECT_FAILED', message, { cause }), diagnosis);
}
