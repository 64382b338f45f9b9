/**
 * Connectivity metrics no SDK has: certificate validity as Unix-time gauges named and
 * labelled as the x509-certificate-exporter names them (`x509_cert_not_after{subject_CN,
 * issuer_CN, serial_number}`), so its expiry alerts work unchanged; TLS rotations applied
 * and refused; TLS handshake failures by cause; codec failures by code and key id.
 *
 * Other layers (the connection, the dev server, codecs, `bastion/native`) call these
 * functions; they record through the given recorder, by default the process-wide one.
 */
import type { MetricLabels } from './metric-definitions';
import { processMetrics, type MetricsRecorder } from './recorder';

/** What the certificate gauges need: `inspectCertificate(...)` results and `connection.tlsInfo()` both fit. */
export interface CertificateFacts {
  /** `CN=worker-1, O=Acme` (RFC 4514 order) or OpenSSL's `CN=worker-1\nO=Acme`. */
  subject: string;
  issuer: string;
  /** Hex, as `inspectCertificate` gives it; exported in decimal like the exporter. */
  serialNumber?: string;
  notBefore: Date;
  notAfter: Date;
}

/** Which certificate a gauge is about: a connection's client certificate, or a server's own. */
export type CertificateRole = 'client' | 'server';

/** The common name of a distinguished name, '' when it has none. */
export function commonName(dn: string): string {
  for (const part of dn.split(/\n|,\s*(?=[A-Za-z.0-9]+=)/)) {
    const m = /^\s*CN=(.*)$/.exec(part);
    if (m) return m[1]!.trim();
  }
  return '';
}

/** A hex serial in decimal, as the exporter (Go's `big.Int.String`) prints it. */
export function serialDecimal(hex: string | undefined): string {
  if (!hex) return '';
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  return clean ? BigInt(`0x${clean}`).toString(10) : '';
}

/** Removes series that no longer exist, when the backend can (prom-client can; OpenTelemetry cannot). */
export interface ForgettingRecorder extends MetricsRecorder {
  forget?(name: 'x509_cert_not_after' | 'x509_cert_not_before', labels: MetricLabels): void;
}

/** The labels last recorded for each certificate slot (`role` + `slot`), so a rotation replaces its series. */
const slots = new WeakMap<MetricsRecorder, Map<string, MetricLabels>>();

/**
 * Sets `x509_cert_not_after` and `x509_cert_not_before` for a certificate. `slot` names the
 * holder (a connection's address): a new certificate in the same slot replaces the
 * previous one's series, so a rotation moves the gauge rather than adding a second one.
 */
export function recordCertificate(info: CertificateFacts, role: CertificateRole = 'client', slot = '', recorder: ForgettingRecorder = processMetrics): void {
  if (!recorder.enabled) return;
  const labels = { role, subject_CN: commonName(info.subject), issuer_CN: commonName(info.issuer), serial_number: serialDecimal(info.serialNumber) };
  let bySlot = slots.get(recorder);
  if (!bySlot) slots.set(recorder, (bySlot = new Map()));
  const key = `${role}\u0000${slot}`;
  const previous = bySlot.get(key);
  if (previous && recorder.forget && (previous.serial_number !== labels.serial_number || previous.subject_CN !== labels.subject_CN)) {
    recorder.forget('x509_cert_not_after', previous);
    recorder.forget('x509_cert_not_before', previous);
  }
  bySlot.set(key, labels);
  recorder.gauge('x509_cert_not_after', labels, Math.floor(info.notAfter.getTime() / 1000));
  recorder.gauge('x509_cert_not_before', labels, Math.floor(info.notBefore.getTime() / 1000));
}

/** Why a rotation was refused, as a bounded label value. */
export type RotationRefusal =
  'invalid_material' | 'key_mismatch' | 'expired' | 'not_yet_valid' | 'wrong_ca' | 'not_client_cert' | 'server_refused' | 'unreachable' | 'other';

/** Counts a rotation: `applied`, or `refused` with its reason. */
export function recordRotation(outcome: 'applied' | 'refused', reason: RotationRefusal | '' = '', recorder: MetricsRecorder = processMetrics): void {
  if (!recorder.enabled) return;
  recorder.count('bastion_tls_rotations', { outcome, reason: outcome === 'applied' ? '' : reason || 'other' });
}

/** The reason label of a refusal, from the problem codes of `verifyCertificate` and the refusal's text. */
export function rotationRefusalReason(problemCodes: readonly string[], message = ''): RotationRefusal {
  const c = new Set(problemCodes);
  if (c.has('KEY_MISMATCH')) return 'key_mismatch';
  if (c.has('EXPIRED')) return 'expired';
  if (c.has('NOT_YET_VALID')) return 'not_yet_valid';
  if (c.has('NOT_A_LEAF') || c.has('PURPOSE_NOT_ALLOWED')) return 'not_client_cert';
  if (c.size > 0 && [...c].some((p) => /ISSUER|CHAIN|CA|SIGNATURE/.test(p))) return 'wrong_ca';
  if (/does not (match|belong to)/i.test(message)) return 'key_mismatch';
  if (/expired/i.test(message)) return 'expired';
  if (/not valid until|not yet valid/i.test(message)) return 'not_yet_valid';
  if (/test call with the new settings failed/i.test(message))
    return /UNAVAILABLE: (No connection|connect|Failed to connect)|ECONNREFUSED|DEADLINE/i.test(message) && !/certificate|handshake|alert/i.test(message)
      ? 'unreachable'
      : 'server_refused';
  if (c.size > 0 || /PEM|parse|read/i.test(message)) return 'invalid_material';
  return 'other';
}

/**
 * Causes of a failed TLS handshake, named as `bastion doctor` reports them, recognised from
 * the error grpc-js and OpenSSL give. `undefined` when the text is not a TLS failure.
 */
const HANDSHAKE_CAUSES: ReadonlyArray<readonly [RegExp, string]> = [
  [/wrong version number|packet length too long|http request/i, 'server_not_tls'],
  [/certificate required/i, 'client_certificate_required'],
  [/sslv3 alert certificate expired|tlsv1 alert certificate expired/i, 'client_certificate_expired'],
  [/unsuitable certificate purpose|unsupported certificate purpose|INVALID_PURPOSE/i, 'server_certificate_purpose'],
  [/ALTNAME_INVALID|does not match certificate|altnames/i, 'server_name_mismatch'],
  [/certificate has expired|CERT_HAS_EXPIRED/i, 'server_certificate_expired'],
  [/unable to verify|self.signed|unable to get (local )?issuer|CERT_/i, 'server_certificate_untrusted'],
  [/unknown ca|bad certificate|certificate unknown|decrypt error/i, 'client_certificate_refused'],
  // Node and grpc-js servers close the socket without an alert when they refuse a client certificate.
  [/socket disconnected|before secure TLS connection|ECONNRESET|Failed to connect/i, 'handshake_closed_by_server'],
];

/** The cause label of a TLS handshake failure, or `undefined` when `details` is not one. */
export function handshakeFailureCause(details: string): string | undefined {
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(details)) return undefined; // no handshake took place
  for (const [pattern, cause] of HANDSHAKE_CAUSES) if (pattern.test(details)) return cause;
  return undefined;
}

/** Counts a TLS handshake failure by cause. */
export function recordTlsHandshakeFailure(cause: string, recorder: MetricsRecorder = processMetrics): void {
  if (!recorder.enabled) return;
  recorder.count('bastion_tls_handshake_failures', { cause });
}

/** Counts a codec failure: `operation` encode or decode, the error `code`, and the key id in use (the ring's active key). */
export function recordCodecFailure(operation: 'encode' | 'decode', code: string, keyId: string, recorder: MetricsRecorder = processMetrics): void {
  if (!recorder.enabled) return;
  recorder.count('bastion_codec_failures', { operation, code, key_id: keyId });
}
