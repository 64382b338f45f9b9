/** The shapes `diagnoseConnection` takes and returns. */
import type { ConnectionOptions } from '../connection/connection-options';

/** The steps of a diagnosis, in the order they run. */
export type DoctorStepName = 'config' | 'dns' | 'tcp' | 'tls' | 'client-certificate' | 'grpc' | 'namespace' | 'api-key';

/** `ok`; `failed` (the connection cannot work); `warning` (works now, needs attention); `skipped` (not applicable, or meaningless after a failure). */
export type DoctorStepStatus = 'ok' | 'failed' | 'skipped' | 'warning';

/** One step of a diagnosis. Never holds key bytes or PEM bodies. */
export interface DoctorStep {
  name: DoctorStepName;
  status: DoctorStepStatus;
  /** What was found, in one or two sentences. */
  detail: string;
  /** The raw cause (an OpenSSL or gRPC error, redacted), when a step failed on one. */
  cause?: string;
  /** What to do, for a `failed` or `warning` step. */
  fix?: string;
  /** Facts the step gathered (server chain, TLS version, server version…), for `--json`. */
  data?: Record<string, unknown>;
}

/** What {@link diagnoseConnection} returns: `ok` when no step failed. */
export interface Diagnosis {
  ok: boolean;
  /** The address that was checked. */
  address: string;
  steps: DoctorStep[];
}

/** Options of `diagnoseConnection`: the connection options plus the namespace and a per-step timeout. */
export interface DiagnoseOptions extends ConnectionOptions {
  /** @default 'default' */
  namespace?: string;
  /** Limit of each network step, in milliseconds. @default 5000 */
  timeoutMs?: number;
}

/**
 * Limit of each network step of `diagnoseConnection`, in milliseconds.
 * @default 5000
 */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 5000;

/**
 * Days before a certificate's expiry from which the doctor warns.
 * @default 30
 */
export const EXPIRY_WARNING_DAYS = 30;
