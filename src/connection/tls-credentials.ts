/**
 * The `tls` option: one small validator per input (CA, client certificate, client key,
 * server name), each failing with a sentence that names the option. PEM inputs are
 * Buffers, PEM strings, or paths of PEM files. Messages never hold key bytes or PEM
 * bodies: they say what was expected and what to do.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { ConfigError, invalidOption } from '../common/errors';
import { isCertificateSource, type CertificateWatcher } from '../../certs/certificate-watcher';
import { defineRedactedView, describePathInput, REDACTED, redactedCause } from '../common/redact';

/** A PEM input: the PEM text (string or Buffer), or the path of a PEM file. */
export type PemSource = Buffer | string;

/** A client certificate and its private key, for mutual TLS. Same shape as the official SDK. */
export interface ClientCertPair {
  /** The client certificate (chain) in PEM. */
  crt: PemSource;
  /** The certificate's private key in PEM (unencrypted PKCS#8, PKCS#1 or SEC1). */
  key: PemSource;
}

/** TLS settings. An empty object means TLS with the system's root CAs. */
export interface TlsConfig {
  /** CA certificate(s) that issued the server's certificate; default: the system roots. */
  serverRootCACertificate?: PemSource;
  /**
   * Present a client certificate (mutual TLS): the pair, or a watcher from
   * `watchCertificateFiles` that the connection follows as the files are replaced.
   */
  clientCertPair?: ClientCertPair | CertificateWatcher;
  /** The name to check the server's certificate against, instead of the address's host. */
  serverNameOverride?: string;
}

/** Validated TLS settings, PEM inputs read into Buffers. The key is not enumerable. */
export interface CompiledTls {
  readonly serverRootCACertificate: Buffer | undefined;
  readonly clientCertPair: { readonly crt: Buffer; readonly key: Buffer; readonly subject: string } | undefined;
  readonly serverNameOverride: string | undefined;
  /** The watcher the pair came from, when `clientCertPair` was one. */
  readonly clientCertSource?: CertificateWatcher;
}

const TLS_KEYS = ['serverRootCACertificate', 'clientCertPair', 'serverNameOverride'];

type PemKind = 'certificate' | 'private key';
const BEGIN_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;
const BEGIN_KEY = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----/;

function tlsError(option: string, problem: string, cause?: unknown): InstanceType<typeof ConfigError> {
  return new ConfigError('ERR_TLS_CONFIG', `\`${option}\` ${problem}`, cause === undefined ? undefined : { cause });
}

/** A copy of a Node error with its message redacted, safe to keep as `cause`. */
const safeCause = redactedCause;

/**
 * Reads one PEM input: a Buffer or a string holding `-----BEGIN`, else a file path.
 *
 * @throws {ConfigError} `ERR_TLS_CONFIG` naming `option` when the file cannot be read or holds no PEM block of `kind`
 */
export function readPem(source: unknown, option: string, kind: PemKind): string {
  let text: string;
  if (Buffer.isBuffer(source) || source instanceof Uint8Array) {
    text = Buffer.from(source).toString('utf8');
  } else if (typeof source === 'string' && source.includes('-----BEGIN')) {
    text = source;
  } else if (typeof source === 'string' && source.trim() !== '') {
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'read error';
      throw tlsError(
        option,
        `is not PEM text, so it was taken as a file path, but ${describePathInput(source)} could not be read (${code}). Pass the PEM text, a Buffer, or the path of a readable PEM file.`,
        safeCause(err),
      );
    }
  } else {
    throw tlsError(
      option,
      `must be PEM text, a Buffer, or the path of a PEM file; got ${source === '' ? 'an empty string' : source === null ? 'null' : typeof source}.`,
    );
  }
  const hasCert = BEGIN_CERT.test(text);
  const keyLabel = BEGIN_KEY.exec(text)?.[1];
  if (kind === 'certificate' && !hasCert) {
    const hint = keyLabel ? ' It holds a private key; check that the certificate and key were not swapped.' : '';
    throw tlsError(option, `does not hold a PEM certificate (no "-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----" block).${hint}`);
  }
  if (kind === 'private key' && !keyLabel) {
    const hint = hasCert ? ' It holds a certificate; check that the certificate and key were not swapped.' : '';
    throw tlsError(option, `does not hold a PEM private key (no "BEGIN PRIVATE KEY" block).${hint}`);
  }
  if (kind === 'private key' && keyLabel === 'ENCRYPTED PRIVATE KEY') {
    throw tlsError(
      option,
      'is an encrypted private key. Pass the key unencrypted (e.g. `openssl pkcs8 -in key.pem -nocrypt`), kept in a file readable only by the worker.',
    );
  }
  return text;
}

function parseCertificate(pem: string, option: string): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(BEGIN_CERT.exec(pem)![0]);
  } catch (err) {
    throw tlsError(option, 'holds a "-----BEGIN CERTIFICATE-----" block that is not a valid X.509 certificate.', safeCause(err));
  }
}

function parsePrivateKey(pem: string, option: string): crypto.KeyObject {
  try {
    return crypto.createPrivateKey(pem);
  } catch (err) {
    throw tlsError(
      option,
      'holds a "PRIVATE KEY" block that could not be parsed as a private key. Pass an unencrypted PEM key (PKCS#8, PKCS#1 or SEC1).',
      safeCause(err),
    );
  }
}

function subjectOf(cert: crypto.X509Certificate): string {
  return (
    cert.subject
      .split('\n')
      .filter((part) => part.startsWith('CN='))
      .join(', ') || cert.subject.replace(/\n/g, ', ')
  );
}

function checkUnknownKeys(value: object, prefix: string, known: readonly string[], hints: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = hints[key] ? ` Did you mean \`${prefix}.${hints[key]}\`?` : ` Known: ${known.map((k) => `\`${k}\``).join(', ')}.`;
    throw invalidOption(`${prefix}.${key}`, `is not an option.${hint}`);
  }
}

function compileClientCertPair(given: unknown): CompiledTls['clientCertPair'] {
  if (given === undefined) return undefined;
  if (typeof given !== 'object' || given === null)
    throw invalidOption('tls.clientCertPair', 'must be an object `{ crt, key }` holding the client certificate and its private key.');
  const pair: object = isCertificateSource(given) ? given.current() : given;
  checkUnknownKeys(pair, 'tls.clientCertPair', ['crt', 'key'], { cert: 'crt', certificate: 'crt', certChain: 'crt', privateKey: 'key' });
  const { crt, key } = pair as Partial<ClientCertPair>;
  if (crt == null || key == null) {
    const missing = crt == null ? 'tls.clientCertPair.crt' : 'tls.clientCertPair.key';
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`tls.clientCertPair.crt\` and \`tls.clientCertPair.key\` must be given together; \`${missing}\` is missing. Pass both the client certificate and its private key.`,
    );
  }
  const crtPem = readPem(crt, 'tls.clientCertPair.crt', 'certificate');
  const keyPem = readPem(key, 'tls.clientCertPair.key', 'private key');
  const cert = parseCertificate(crtPem, 'tls.clientCertPair.crt');
  const privateKey = parsePrivateKey(keyPem, 'tls.clientCertPair.key');
  const subject = subjectOf(cert);
  if (cert.ca) {
    // A CA as client identity is a mistake even when its key is given (and some servers would accept it: never hand a worker the CA's key).
    throw tlsError(
      'tls.clientCertPair.crt',
      `is a CA certificate (CA:TRUE, subject ${subject}), not a client certificate. Pass the client (leaf) certificate issued by this CA, with its key.`,
    );
  }
  if (!cert.checkPrivateKey(privateKey)) {
    throw tlsError(
      'tls.clientCertPair.key',
      `does not match the certificate's public key (subject ${subject}). Pass the key that was issued with this certificate.`,
    );
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) {
    throw tlsError('tls.clientCertPair.crt', `expired on ${new Date(cert.validTo).toISOString()} (subject ${subject}). Renew the client certificate.`);
  }
  if (Date.parse(cert.validFrom) > now) {
    throw tlsError(
      'tls.clientCertPair.crt',
      `is not valid before ${new Date(cert.validFrom).toISOString()} (subject ${subject}). Check the system clock or the certificate's validity.`,
    );
  }
  const compiled = { crt: Buffer.from(crtPem), subject } as { crt: Buffer; key: Buffer; subject: string };
  // Not enumerable, and the pair renders through a view: util.inspect (showHidden too) and
  // JSON.stringify show the subject and `key: '[redacted]'`, never the key's bytes.
  Object.defineProperty(compiled, 'key', { value: Buffer.from(keyPem), enumerable: false });
  defineRedactedView(compiled, 'ClientCertPair', (p) => ({ subject: p.subject, crt: `[certificate, ${p.crt.length} bytes]`, key: REDACTED }));
  return Object.freeze(compiled);
}

/**
 * Validates the `tls` option; `undefined` means plaintext.
 *
 * @param tls the user's `tls` option
 * @param apiKeySet whether `apiKey` was given: an absent `tls` then means TLS with system roots
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS` or `ERR_TLS_CONFIG`, naming the option
 */
export function compileTls(tls: unknown, apiKeySet: boolean): CompiledTls | undefined {
  if (tls === false || (tls === undefined && !apiKeySet)) return undefined;
  const config: unknown = tls === true || tls === undefined ? {} : tls;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw invalidOption(
      'tls',
      `must be \`false\` (plaintext), \`true\` (TLS with the system's root CAs) or an object; got ${config === null ? 'null' : typeof config}.`,
    );
  }
  checkUnknownKeys(config, 'tls', TLS_KEYS, {
    serverCA: 'serverRootCACertificate',
    ca: 'serverRootCACertificate',
    serverName: 'serverNameOverride',
    clientCert: 'clientCertPair',
  });
  const { serverRootCACertificate, clientCertPair, serverNameOverride } = config as TlsConfig;
  let ca: Buffer | undefined;
  if (serverRootCACertificate !== undefined) {
    const pem = readPem(serverRootCACertificate, 'tls.serverRootCACertificate', 'certificate');
    parseCertificate(pem, 'tls.serverRootCACertificate');
    ca = Buffer.from(pem);
  }
  if (serverNameOverride !== undefined && (typeof serverNameOverride !== 'string' || !/^[^\s/]+$/.test(serverNameOverride))) {
    throw invalidOption('tls.serverNameOverride', 'must be a host name such as "temporal.internal" (no spaces, scheme or path).');
  }
  const source = isCertificateSource(clientCertPair) ? { clientCertSource: clientCertPair } : {};
  return withTlsView({ serverRootCACertificate: ca, clientCertPair: compileClientCertPair(clientCertPair), serverNameOverride, ...source });
}

/**
 * Freezes compiled TLS settings with their redacted view (`util.inspect`/`JSON.stringify`
 * show the client certificate's subject, never its key). Use it for every copy.
 */
export function withTlsView(tls: CompiledTls): CompiledTls {
  const copy = { ...tls };
  defineRedactedView(copy, 'CompiledTls', (t) => ({
    serverRootCACertificate: t.serverRootCACertificate ? `[certificate, ${t.serverRootCACertificate.length} bytes]` : undefined,
    clientCertPair: t.clientCertPair,
    serverNameOverride: t.serverNameOverride,
    ...(t.clientCertSource ? { clientCertSource: t.clientCertSource } : {}),
  }));
  return Object.freeze(copy);
}

/**
 * grpc-js sends the target host as the TLS server name (SNI) even when it is an IP
 * address, which RFC 6066 forbids and Node answers with a DEP0123 warning on every
 * process that connects to `127.0.0.1:7233` over TLS. For an IP literal the server name is
 * left out (the certificate is still checked against the IP, through `host`). This wraps
 * grpc-js's connector factory (1.14); if a later grpc-js lacks it, nothing changes but the
 * warning.
 */
function omitSniForIpLiterals(credentials: grpc.ChannelCredentials): void {
  const c = credentials as unknown as { _createSecureConnector?: (...args: unknown[]) => { connectionOptions?: { servername?: string } } };
  const create = c._createSecureConnector;
  if (typeof create !== 'function') return;
  c._createSecureConnector = function (this: unknown, ...args: unknown[]) {
    const connector = create.apply(this, args);
    const options = connector?.connectionOptions;
    if (options && typeof options.servername === 'string' && isIP(options.servername.replace(/^\[|\]$/g, ''))) delete options.servername;
    return connector;
  };
}

/** The grpc-js credentials and channel options for compiled TLS settings (or plaintext). */
export function channelCredentials(tls: CompiledTls | undefined): { credentials: grpc.ChannelCredentials; channelOptions: grpc.ChannelOptions } {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), channelOptions: {} };
  let credentials: grpc.ChannelCredentials;
  try {
    credentials = grpc.credentials.createSsl(tls.serverRootCACertificate ?? null, tls.clientCertPair?.key ?? null, tls.clientCertPair?.crt ?? null);
  } catch (err) {
    throw tlsError(
      tls.clientCertPair ? 'tls.clientCertPair' : 'tls.serverRootCACertificate',
      'was refused by the TLS library. Check that it holds valid PEM.',
      safeCause(err),
    );
  }
  omitSniForIpLiterals(credentials);
  const channelOptions: grpc.ChannelOptions = {};
  if (tls.serverNameOverride) {
    channelOptions['grpc.ssl_target_name_override'] = tls.serverNameOverride;
    channelOptions['grpc.default_authority'] = tls.serverNameOverride;
  }
  return { credentials, channelOptions };
}

/** `plaintext`, `TLS on, no client certificate`, or `TLS on, client certificate presented: CN=…`. */
export function describeTls(tls: CompiledTls | undefined): string {
  if (!tls) return 'plaintext';
  return tls.clientCertPair ? `TLS on, client certificate presented: ${tls.clientCertPair.subject}` : 'TLS on, no client certificate';
}
