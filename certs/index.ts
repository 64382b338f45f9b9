/**
 * Bastion's certificate toolkit: CAs and client/server certificates (ECDSA or RSA),
 * certificate signing requests, PKCS#12 files, inspection, verification, and Temporal
 * Cloud's CA bundle rules.
 *
 * ```ts
 * import { createCertificateAuthority, issueCertificate, verifyCertificate, checkTemporalCloudCaBundle } from 'bastion-temporal/certs';
 *
 * const ca = await createCertificateAuthority({ commonName: 'Acme Temporal CA', organization: 'Acme' });
 * const worker = await issueCertificate({ ca, profile: 'client', commonName: 'worker-1', organization: 'Acme' });
 * console.log(verifyCertificate({ certPem: worker.certPem, keyPem: worker.keyPem, caPems: [ca.certPem], purpose: 'client' }).ok); // true
 * console.log(checkTemporalCloudCaBundle(ca.certPem).ok); // true: upload ca.certPem to the namespace
 * ```
 */
export { createCertificateAuthority, issueCertificate, DEFAULT_CA_VALIDITY_DAYS, MAX_VALIDITY_DAYS } from './certificate-authority';
export type { CertificateAuthorityOptions, IssueCertificateOptions, IssuedCertificate, SignedCertificate } from './certificate-authority';
export { createCsr, inspectCsr, signCsr } from './csr';
export type { CreateCsrOptions, CreatedCsr, CsrInfo, SignCsrOptions } from './csr';
export { exportPkcs12, importPkcs12, PKCS12_ITERATIONS, MAX_PKCS12_ITERATIONS } from './pkcs12';
export type { ExportPkcs12Options, ImportedPkcs12 } from './pkcs12';
export { generateKeyPair, KEY_TYPES, DEFAULT_CA_KEY_TYPE } from './keys';
export type { KeyType, KeyPair } from './keys';
export { inspectCertificate } from './inspect';
export type { CertificateInfo, InspectResult } from './inspect';
export { verifyCertificate, DEFAULT_CLOCK_SKEW_MS } from './verify';
export type { VerifyCertificateOptions, VerifyResult, CertificateProblem, VerifyProblemCode } from './verify';
export { checkTemporalCloudCaBundle, checkClientCertificateForCloud, CLOUD_MAX_BUNDLE_BYTES, CLOUD_MAX_BUNDLE_CERTIFICATES } from './temporal-cloud';
export type { CloudCheckResult, CloudCertificateFilter } from './temporal-cloud';
export type { DistinguishedName } from './distinguished-name';
export { BastionError, CertsError } from '../src/common/errors';
export type { KeyUsage } from './x509-builder';
export { watchCertificateFiles, CertificateWatcher, isCertificateSource, DEFAULT_WATCH_POLL_INTERVAL_MS, DEFAULT_WATCH_SETTLE_MS } from './certificate-watcher';
export type { WatchCertificateFilesOptions, CertificatePair, CertificatePairInfo, CertificateWatcherLogger, RejectedPair } from './certificate-watcher';
