/**
 * TLS material for the native engine: Bastion's compiled TLS settings turned into the
 * official `NativeConnection`'s `tls`. A rotation's checks are `checkRotationTls`
 * (src/connection/tls-material.ts), the same as `Connection.setTlsConfig`'s.
 */
import type { CompiledTls } from '../src/connection/tls-credentials';

/** The official `TLSConfig` (or `true`/`false`) for compiled settings. */
export function nativeTls(
  tls: CompiledTls | undefined,
): false | true | { serverRootCACertificate?: Buffer; serverNameOverride?: string; clientCertPair?: { crt: Buffer; key: Buffer } } {
  if (!tls) return false;
  if (!tls.serverRootCACertificate && !tls.serverNameOverride && !tls.clientCertPair) return true;
  return {
    ...(tls.serverRootCACertificate ? { serverRootCACertificate: tls.serverRootCACertificate } : {}),
    ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
    ...(tls.clientCertPair ? { clientCertPair: { crt: tls.clientCertPair.crt, key: tls.clientCertPair.key } } : {}),
  };
}
