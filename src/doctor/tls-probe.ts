/**
 * The `tls` and `client-certificate` steps: a raw `node:tls` handshake (SNI, ALPN h2, the
 * configured CA and client pair) verified by hand, so each problem can be explained; then
 * the HTTP/2 preface, to see whether the server accepts the client certificate (in TLS 1.3
 * its refusal arrives after the handshake). With TLS off, a plaintext probe that notices a
 * TLS server.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { inspectCertificate } from '../../certs/inspect';
import { verifyCertificate } from '../../certs/verify';
import { derToPem } from '../../certs/x509-builder';
import { tidyTlsDetails } from '../connection/connect-error';
import { describeCause } from '../common/redact';
import type { CheckedConfig } from './config-check';
import type { DoctorStep } from './types';

/** The client's HTTP/2 connection preface followed by an empty SETTINGS frame. */
const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

type Outcome = { kind: 'data'; data: Buffer } | { kind: 'error'; error: Error } | { kind: 'close' } | { kind: 'timeout' };

/** Waits for the first of: data, error, close, timeout or abort. */
function nextOutcome(socket: net.Socket, timeoutMs: number, signal: AbortSignal | undefined, ready?: string): Promise<Outcome | { kind: 'ready' }> {
  return new Promise((resolve) => {
    const done = (o: Outcome | { kind: 'ready' }) => {
      clearTimeout(timer);
      socket.removeListener('data', onData).removeListener('error', onError).removeListener('close', onClose);
      if (ready) socket.removeListener(ready, onReady);
      signal?.removeEventListener('abort', onAbort);
      resolve(o);
    };
    const onData = (data: Buffer) => done({ kind: 'data', data });
    const onError = (error: Error) => done({ kind: 'error', error });
    const onClose = () => done({ kind: 'close' });
    const onReady = () => done({ kind: 'ready' });
    const onAbort = () => done({ kind: 'error', error: signal!.reason instanceof Error ? signal!.reason : new Error('aborted') });
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    socket.on('data', onData).on('error', onError).on('close', onClose);
    if (ready) socket.once(ready, onReady);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function rawCause(err: Error): string {
  return tidyTlsDetails(describeCause(err));
}

const NOT_TLS = /wrong version number|packet length too long|http request|record layer failure|unexpected eof|ECONNRESET|socket disconnected/i;
const CLIENT_ALERT =
  /certificate required|unknown ca|bad certificate|certificate expired|certificate revoked|unsupported certificate|certificate unknown|handshake failure|decrypt error|access denied/i;

function cn(dn: string): string {
  return dn.split(', ').find((p) => p.startsWith('CN=')) ?? dn;
}

/** The plaintext probe (TLS off): does the server answer HTTP/2, or is it a TLS server? */
export async function probePlaintext(ip: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<DoctorStep> {
  const socket = net.connect({ host: ip, port });
  socket.on('error', () => undefined);
  try {
    const connected = await nextOutcome(socket, timeoutMs, signal, 'connect');
    if (connected.kind !== 'ready')
      return {
        name: 'tls',
        status: 'failed',
        detail: 'TLS is off, and the plaintext connection could not be opened again.',
        fix: 'Retry; check the tcp step.',
      };
    socket.write(H2_PREFACE);
    const o = await nextOutcome(socket, timeoutMs, signal);
    const expectsTls = { name: 'tls' as const, status: 'failed' as const, fix: 'Turn TLS on: add --tls (`tls: true`, or a `tls` object with the server CA).' };
    if (o.kind === 'data' && (o.data[0] === 0x15 || o.data[0] === 0x16))
      return { ...expectsTls, detail: 'TLS is off, but the server answered with a TLS record: the server expects TLS.' };
    if (o.kind === 'data' && o.data.length >= 4 && o.data[3] === 0x04)
      return { name: 'tls', status: 'skipped', detail: 'TLS is off; the server answers plaintext HTTP/2.' };
    if (o.kind === 'data') {
      const head = o.data
        .subarray(0, 40)
        .toString('latin1')
        .replace(/[^\x20-\x7e]+/g, ' ')
        .trim();
      return {
        name: 'tls',
        status: 'failed',
        detail: `TLS is off, and the server does not answer HTTP/2 (it sent ${JSON.stringify(head)}).`,
        fix: 'Check that `address` (--address) points at a Temporal frontend (gRPC), not a web or other service.',
      };
    }
    if (o.kind === 'close' || o.kind === 'error')
      return {
        ...expectsTls,
        detail: 'TLS is off, and the server closed the connection without answering plaintext HTTP/2: the server expects TLS.',
        ...(o.kind === 'error' ? { cause: rawCause(o.error) } : {}),
      };
    return {
      name: 'tls',
      status: 'warning',
      detail: `TLS is off, and the server did not answer the HTTP/2 preface within ${timeoutMs} ms.`,
      fix: 'Check that `address` points at a Temporal frontend; if it serves TLS, add --tls.',
    };
  } finally {
    socket.destroy();
  }
}

interface ChainEntry {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

/** The server's chain as sent (leaf first), as PEM and as printable entries. */
function serverChain(socket: tls.TLSSocket): { pems: string[]; entries: ChainEntry[]; raw: tls.DetailedPeerCertificate | undefined } {
  const peer = socket.getPeerCertificate(true);
  const pems: string[] = [];
  const entries: ChainEntry[] = [];
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = peer; c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    const pem = derToPem(c.raw);
    const info = inspectCertificate(pem).certificates[0]!;
    pems.push(pem);
    entries.push({
      subject: info.subject,
      issuer: info.issuer,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      fingerprint256: info.fingerprint256,
    });
  }
  return { pems, entries, raw: peer?.raw ? peer : undefined };
}

/** Problems with the server's certificate, each `{ detail, fix }`. */
function serverProblems(cfg: CheckedConfig, socket: tls.TLSSocket, chain: ReturnType<typeof serverChain>): Array<{ detail: string; fix: string }> {
  const out: Array<{ detail: string; fix: string }> = [];
  if (!chain.raw) return [{ detail: 'the server sent no certificate.', fix: 'Configure a certificate on the server.' }];
  const leaf = inspectCertificate(chain.pems[0]!).certificates[0]!;
  const now = Date.now();
  for (const [i, pem] of chain.pems.entries()) {
    const c = inspectCertificate(pem).certificates[0]!;
    const which = i === 0 ? "the server's certificate" : `the server's intermediate ${cn(c.subject)}`;
    if (c.notAfter.getTime() < now)
      out.push({ detail: `${which} expired on ${c.notAfter.toISOString()}.`, fix: 'Whoever runs the server must renew its certificate.' });
    else if (c.notBefore.getTime() > now)
      out.push({ detail: `${which} is not valid until ${c.notBefore.toISOString()}.`, fix: "Check this machine's clock, or ask whoever runs the server." });
  }
  if (leaf.extendedKeyUsage.length > 0 && !leaf.extendedKeyUsage.includes('serverAuth') && !leaf.extendedKeyUsage.includes('2.5.29.37.0')) {
    out.push({
      detail: `the server's certificate does not allow serverAuth (its extended key usage is ${leaf.extendedKeyUsage.join(', ')}).`,
      fix: 'Whoever runs the server must issue its certificate with EKU serverAuth (e.g. `bastion certs issue --profile server`).',
    });
  }
  const top = inspectCertificate(chain.pems[chain.pems.length - 1]!).certificates[0]!;
  let trusted: boolean;
  if (cfg.caPem) {
    const fileFingerprints = new Set(inspectCertificate(cfg.caPem).certificates.map((c) => c.fingerprint256));
    trusted = chain.pems.some(
      (pem, i) =>
        fileFingerprints.has(chain.entries[i]!.fingerprint256) ||
        !verifyCertificate({ certPem: pem, caPems: [cfg.caPem!] }).problems.some((p) => p.code === 'UNKNOWN_ISSUER'),
    );
  } else {
    trusted = !/ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY|SIGNATURE_FAILURE/.test(String(socket.authorizationError ?? ''));
  }
  if (!trusted) {
    if (cfg.caPem) {
      const cas = inspectCertificate(cfg.caPem)
        .certificates.map((c) => cn(c.subject))
        .join('; ');
      out.push({
        detail: `the server's certificate was issued by ${cn(top.issuer)}, which is not in the CA file given with \`tls.serverRootCACertificate\` (--tls-ca-path) (${cas}).`,
        fix: `Pass the CA that issued the server's certificate (${cn(top.issuer)}) with --tls-ca-path.`,
      });
    } else {
      out.push({
        detail: `the server's certificate was issued by ${cn(top.issuer)}, which the system's root CAs do not trust (${String(socket.authorizationError)}).`,
        fix: `Pass the CA that issued it (${cn(top.issuer)}) with --tls-ca-path (\`tls.serverRootCACertificate\`).`,
      });
    }
  }
  const name = cfg.serverName!;
  if (tls.checkServerIdentity(name, chain.raw) !== undefined) {
    const sans = [...leaf.subjectAltNames.dnsNames.map((d) => `DNS:${d}`), ...leaf.subjectAltNames.ipAddresses.map((ip) => `IP:${ip}`)];
    out.push({
      detail: `the server's certificate is valid for ${sans.join(', ') || 'no names (it has no subject alternative names)'}, not for ${name}${cfg.serverNameOverride ? ' (`tls.serverNameOverride`)' : ''}.`,
      fix:
        sans.length > 0
          ? `Set --tls-server-name (\`tls.serverNameOverride\`) to a name the certificate lists (${sans[0]!.replace(/^\w+:/, '')}), or connect by that name.`
          : 'Whoever runs the server must issue its certificate with the names clients connect to.',
    });
  }
  return out;
}

/** Why the server refused the client certificate, from the alert and what the config step found. */
function refusal(cfg: CheckedConfig, presented: boolean, alert: string | undefined): { detail: string; fix: string } {
  const c = cfg.clientCert;
  const renew = 'Renew the client certificate and point --tls-cert-path/--tls-key-path (`tls.clientCertPair`) at the new pair.';
  if (!presented && c) {
    return {
      detail: `the server asked for a client certificate; yours (${cn(c.subject)}) could not be presented because its key does not belong to it (see the config step).`,
      fix: 'Pass the key that was issued with the client certificate (--tls-key-path).',
    };
  }
  if (!presented) {
    return {
      detail: 'the server asked for a client certificate but none was configured.',
      fix: 'Pass a client certificate and its key issued by a CA the server trusts: --tls-cert-path and --tls-key-path (`tls.clientCertPair`).',
    };
  }
  if (cfg.clientProblems.includes('EXPIRED') || /certificate expired/i.test(alert ?? '')) {
    return { detail: `the server refused your client certificate: your client certificate expired on ${c!.notAfter.toISOString()}.`, fix: renew };
  }
  if (cfg.clientProblems.includes('NOT_YET_VALID')) {
    return {
      detail: `the server refused your client certificate: your client certificate is not valid until ${c!.notBefore.toISOString()}.`,
      fix: "Check this machine's clock, or use a certificate whose validity has started.",
    };
  }
  if (cfg.clientProblems.includes('NOT_A_LEAF')) {
    return {
      detail: `the server refused your client certificate: ${cn(c!.subject)} is a CA certificate, not a client certificate.`,
      fix: 'Pass the client (leaf) certificate and its key.',
    };
  }
  if (cfg.clientProblems.includes('PURPOSE_NOT_ALLOWED')) {
    return {
      detail: `the server refused your client certificate: ${cn(c!.subject)} does not allow clientAuth.`,
      fix: 'Issue the client certificate with EKU clientAuth.',
    };
  }
  return {
    detail: `the server refused your client certificate ${cn(c!.subject)}: it does not trust ${cn(c!.issuer)}, the CA that issued it.`,
    fix: `Use a client certificate issued by a CA the server trusts, or add ${cn(c!.issuer)} to the server's client CA certificates (for Temporal Cloud: the namespace's accepted CA certificates).`,
  };
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The `tls` and `client-certificate` steps against `ip:port`. */
export async function probeTls(cfg: CheckedConfig, ip: string, timeoutMs: number, signal?: AbortSignal): Promise<[DoctorStep, DoctorStep]> {
  const presented = cfg.pair !== undefined;
  const name = cfg.serverName!;
  let socket: tls.TLSSocket;
  try {
    socket = tls.connect({
      host: ip,
      port: cfg.port!,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
      ...(net.isIP(name) ? {} : { servername: name }),
      ...(cfg.caPem ? { ca: cfg.caPem } : {}),
      ...(cfg.pair ? { cert: cfg.pair.crtPem, key: cfg.pair.keyPem } : {}),
    });
  } catch (err) {
    const skipped: DoctorStep = { name: 'client-certificate', status: 'skipped', detail: 'The TLS handshake could not start.' };
    return [
      {
        name: 'tls',
        status: 'failed',
        detail: 'The TLS library refused the configured material.',
        cause: describeCause(err),
        fix: 'Check the client certificate and key (see the config step).',
      },
      skipped,
    ];
  }
  socket.on('error', () => undefined);
  try {
    const hs = await nextOutcome(socket, timeoutMs, signal, 'secureConnect');
    const skipClient = (why: string): DoctorStep => ({ name: 'client-certificate', status: 'skipped', detail: why });
    if (hs.kind !== 'ready') {
      if (hs.kind === 'error' && CLIENT_ALERT.test(hs.error.message) && !NOT_TLS.test(hs.error.message)) {
        const r = refusal(cfg, presented, hs.error.message);
        return [
          { name: 'tls', status: 'ok', detail: 'The server answered the TLS handshake and stopped it at the client certificate.' },
          { name: 'client-certificate', status: 'failed', detail: capital(r.detail), fix: r.fix, cause: rawCause(hs.error) },
        ];
      }
      const notTls = hs.kind === 'close' || hs.kind === 'data' || (hs.kind === 'error' && NOT_TLS.test(hs.error.message));
      if (notTls) {
        return [
          {
            name: 'tls',
            status: 'failed',
            detail: 'The server does not speak TLS: it did not answer the TLS handshake (a plaintext server?).',
            fix: 'If the server is plaintext (a local dev server), turn TLS off: --tls=false (`tls: false`); otherwise check the port in --address.',
            ...(hs.kind === 'error' ? { cause: rawCause(hs.error) } : {}),
          },
          skipClient('No TLS session.'),
        ];
      }
      if (hs.kind === 'timeout') {
        return [
          {
            name: 'tls',
            status: 'failed',
            detail: `The server accepted TCP but did not complete the TLS handshake within ${timeoutMs} ms; it may not speak TLS.`,
            fix: 'Check the port in --address; if the server is plaintext, use --tls=false.',
          },
          skipClient('No TLS session.'),
        ];
      }
      return [
        {
          name: 'tls',
          status: 'failed',
          detail: 'The TLS handshake failed.',
          cause: rawCause(hs.error),
          fix: 'See the cause; check the server address and TLS settings.',
        },
        skipClient('No TLS session.'),
      ];
    }
    const chain = serverChain(socket);
    const cipher = socket.getCipher();
    const data = { protocol: socket.getProtocol(), cipher: cipher?.name, alpn: socket.alpnProtocol || null, serverName: name, serverChain: chain.entries };
    const problems = serverProblems(cfg, socket, chain);
    const tlsStep: DoctorStep =
      problems.length === 0
        ? {
            name: 'tls',
            status: 'ok',
            detail: `${data.protocol} with ${data.cipher}, ALPN ${data.alpn || 'none'}; the server's certificate ${cn(chain.entries[0]!.subject)} (issued by ${cn(chain.entries[0]!.issuer)}) is trusted and valid for ${name}.`,
            data,
          }
        : { name: 'tls', status: 'failed', detail: capital(problems.map((p) => p.detail).join(' Also, ')), fix: problems[0]!.fix, data };
    socket.write(H2_PREFACE);
    const answer = await nextOutcome(socket, timeoutMs, signal);
    let client: DoctorStep;
    if (answer.kind === 'data') {
      client = presented
        ? { name: 'client-certificate', status: 'ok', detail: `The server accepted your client certificate ${cn(cfg.clientCert!.subject)}.` }
        : { name: 'client-certificate', status: 'ok', detail: 'The server did not require a client certificate.' };
    } else if (answer.kind === 'error' && CLIENT_ALERT.test(answer.error.message)) {
      const r = refusal(cfg, presented, answer.error.message);
      client = { name: 'client-certificate', status: 'failed', detail: capital(r.detail), fix: r.fix, cause: rawCause(answer.error) };
    } else if (answer.kind === 'close' || answer.kind === 'error') {
      // Node's TLS servers (grpc-js among them) close without an alert when they reject a client certificate.
      const r = refusal(cfg, presented, undefined);
      client = presented
        ? {
            name: 'client-certificate',
            status: 'failed',
            detail: `The server closed the connection right after the handshake, without an answer: ${r.detail}`,
            fix: r.fix,
            ...(answer.kind === 'error' ? { cause: rawCause(answer.error) } : {}),
          }
        : {
            name: 'client-certificate',
            status: 'failed',
            detail:
              'The server closed the connection right after the TLS handshake, without an answer; it probably requires a client certificate and none was configured.',
            fix: r.fix,
          };
    } else {
      client = {
        name: 'client-certificate',
        status: 'warning',
        detail: `The server did not answer the HTTP/2 preface within ${timeoutMs} ms, so whether it accepts the client certificate is unknown.`,
        fix: 'See the grpc step.',
      };
    }
    return [tlsStep, client];
  } finally {
    socket.destroy();
  }
}
