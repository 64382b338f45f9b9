/** What the `rotation` and `refused` events of `NativeConnectionManager` carry. Nothing secret. */
import type { CertificateProblem } from '../certs/verify';
import type { ClientCertificateInfo } from '../src/connection/tls-material';
import type { DiagnosedError } from './connect-diagnosis';

/** Where a rotation came from. */
export type RotationSource = 'watcher' | 'setTlsConfig';

/** What the `rotation` event carries: one new connection in force. Nothing secret. */
export interface NativeRotationEvent {
  /** `rotationCount` after this rotation. */
  rotationCount: number;
  source: RotationSource;
  /** The client certificate now in force (undefined without mTLS). */
  certificate: ClientCertificateInfo | undefined;
  /** Attached workers moved to the new connection. */
  movedWorkers: number;
  /** Connecting the new `NativeConnection` and proving it with `GetSystemInfo`, in ms. */
  connectMs: number;
  /** Setting `worker.connection` on every attached worker, in ms (the swap itself). */
  swapMs: number;
  /** From the start of the rotation (validation) to the swap, in ms. */
  durationMs: number;
}

/** What the `refused` event carries: new material that did not go live. */
export interface NativeRefusalEvent {
  source: RotationSource;
  /** `ERR_TLS_ROTATION_REFUSED`, with the doctor's `diagnosis` when the server refused the new material. */
  error: DiagnosedError;
  /** Each broken rule with its code: `KEY_MISMATCH`, `EXPIRED`, `NOT_A_LEAF`, `UNKNOWN_ISSUER`, `PURPOSE_NOT_ALLOWED`, `CONNECT_FAILED`, … */
  problems: CertificateProblem[];
}

/** Events of {@link NativeConnectionManager}. */
export interface NativeConnectionManagerEvents {
  rotation: [NativeRotationEvent];
  refused: [NativeRefusalEvent];
}
