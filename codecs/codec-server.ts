/**
 * The codec server: the remote codec endpoint the Temporal Web UI and the Temporal CLI
 * call to show payloads that a {@link PayloadCodec} (encryption, compression) encoded.
 * Plain `node:http`/`node:https`; bearer-token auth, CORS for the Web UI, a body limit,
 * and 400 (never 500) for bad input.
 *
 * ```ts
 * const server = createCodecServer({ codec, cors: { origins: ['https://temporal-ui.example.com'] }, auth: { tokens: [process.env.CODEC_TOKEN!] } });
 * const { url } = await server.listen(8888);
 * ```
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { BastionError, CodecError, IllegalStateError, invalidOption } from '../src/common/errors';
import { describePathInput } from '../src/common/redact';
import type { Payload } from '../src/converter/payload';
import { authorize, compileAuth, type CompiledAuth, type CodecServerAuthOptions } from './http-auth';
import { compileCors, corsHeaders, type CompiledCors, type CodecServerCorsOptions } from './http-cors';
import { payloadsFromJson, payloadsToJson } from './http-payloads';
import { decodePayloads, encodePayloads, type CodecContext, type PayloadCodec } from './payload-codec';

/** The codec methods the server calls; any `PayloadCodec` (Bastion's or `@temporalio/common`'s) has them. */
export type CodecServerCodec = PayloadCodec;

/** A codec, or a chain of codecs applied as `payloadCodecs` are: encode in order, decode in reverse. */
export type CodecOrChain = CodecServerCodec | readonly CodecServerCodec[];

/** The logger the server reports to: short messages, details in `meta` (never payloads, tokens or keys). */
export interface CodecServerLogger {
  debug(message: string, meta?: object): void;
  info(message: string, meta?: object): void;
  warn(message: string, meta?: object): void;
  error(message: string, meta?: object): void;
}

/** Options of {@link createCodecServer}. */
export interface CodecServerOptions {
  /** The codec for every namespace (or for those not in `codecsByNamespace`). */
  codec?: CodecOrChain;
  /** A codec per namespace; a request for a namespace not listed (and no `codec`) is answered 404. */
  codecsByNamespace?: Readonly<Record<string, CodecOrChain>>;
  /** CORS for the Web UI; without it no CORS headers are sent (the CLI needs none). */
  cors?: CodecServerCorsOptions;
  /** Bearer-token authentication; without it anyone who reaches the port can decode. */
  auth?: CodecServerAuthOptions;
  /** Serve HTTPS with this certificate (chain) and key, each PEM text or a file path. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Largest request body; larger ones are answered 413 without reading them.
   * @default 4 MiB ({@link DEFAULT_CODEC_SERVER_MAX_BODY_BYTES})
   */
  maxBodyBytes?: number;
  /** Where request lines (debug) and codec failures (warn) go. @default none */
  logger?: CodecServerLogger;
}

/** Default request body limit: 4 MiB, twice Temporal's default 2 MiB blob limit. */
export const DEFAULT_CODEC_SERVER_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** How long `close()` waits for requests in progress before closing their connections. */
export const CODEC_SERVER_CLOSE_GRACE_MS = 5000;
/** Paths (last segment) answered 200 without authentication, for load balancers. */
export const HEALTH_PATHS: readonly string[] = ['health', 'healthz'];

/** Where a started server listens. */
export interface CodecServerAddress {
  /** `http(s)://host:port`: the codec endpoint to give the Web UI or `temporal --codec-endpoint`. */
  url: string;
  port: number;
}

/** A codec server; see {@link createCodecServer}. */
export interface CodecServer {
  /**
   * Starts listening.
   * @param port 0 picks a free port
   * @param host @default '127.0.0.1'
   * @throws {CodecError} `ERR_CODEC_SERVER_LISTEN` when the port is taken or the address is not local
   * @throws {IllegalStateError} `ERR_ILLEGAL_STATE` when called twice or after `close()`
   */
  listen(port: number, host?: string): Promise<CodecServerAddress>;
  /** Stops accepting requests, lets those in progress finish, closes connections. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

type Operation = 'encode' | 'decode';
type State = 'created' | 'listening' | 'closing' | 'closed';

interface Compiled {
  codec?: CodecServerCodec;
  codecsByNamespace: ReadonlyMap<string, CodecServerCodec>;
  cors?: CompiledCors;
  auth?: CompiledAuth;
  tls?: { cert: Buffer; key: Buffer };
  maxBodyBytes: number;
  logger?: CodecServerLogger;
}

function isCodec(c: unknown): c is CodecServerCodec {
  return typeof c === 'object' && c !== null && typeof (c as CodecServerCodec).encode === 'function' && typeof (c as CodecServerCodec).decode === 'function';
}

/** One codec from a codec or a chain. */
function compileCodec(value: unknown, option: string): CodecServerCodec {
  if (isCodec(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isCodec)) {
    const chain = [...value] as CodecServerCodec[];
    return { encode: (payloads, context) => encodePayloads(chain, payloads, context), decode: (payloads, context) => decodePayloads(chain, payloads, context) };
  }
  throw invalidOption(option, 'must be a PayloadCodec (an object with `encode(payloads)` and `decode(payloads)`) or a non-empty array of them.');
}

function readPemInput(value: unknown, option: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'string' || value.trim() === '') throw invalidOption(option, 'must be PEM text or the path of a PEM file.');
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return fs.readFileSync(value);
  } catch (err) {
    throw invalidOption(option, `names the file ${describePathInput(value)}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Pass PEM text or a readable file.`);
  }
}

function compile(o: CodecServerOptions): Compiled {
  if (!o || typeof o !== 'object') throw invalidOption('options', 'must be an object with `codec` or `codecsByNamespace`.');
  if (o.codec === undefined && o.codecsByNamespace === undefined) throw invalidOption('codec', 'is required (or `codecsByNamespace`): the server needs a codec to encode and decode with.');
  const codec = o.codec === undefined ? undefined : compileCodec(o.codec, 'codec');
  const codecsByNamespace = new Map<string, CodecServerCodec>();
  if (o.codecsByNamespace !== undefined) {
    if (typeof o.codecsByNamespace !== 'object' || o.codecsByNamespace === null) throw invalidOption('codecsByNamespace', 'must be an object mapping namespace names to codecs.');
    for (const [ns, c] of Object.entries(o.codecsByNamespace)) codecsByNamespace.set(ns, compileCodec(c, `codecsByNamespace[${JSON.stringify(ns)}]`));
    if (codecsByNamespace.size === 0 && !codec) throw invalidOption('codecsByNamespace', 'names no namespace; add one, or pass `codec`.');
  }
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_CODEC_SERVER_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw invalidOption('maxBodyBytes', `must be a whole number of bytes, at least 1, got ${JSON.stringify(o.maxBodyBytes)}.`);
  let tlsFiles: Compiled['tls'];
  if (o.tls !== undefined) {
    const cert = readPemInput(o.tls?.cert, 'tls.cert');
    const key = readPemInput(o.tls?.key, 'tls.key');
    try {
      tls.createSecureContext({ cert, key });
    } catch (err) {
      // OpenSSL's reason only (e.g. "key values mismatch"): never the PEM text.
      const reason = String((err as Error).message).split('\n')[0]!.replace(/-----BEGIN[\s\S]*/, '');
      throw invalidOption('tls', `cannot be used: \`tls.cert\` and \`tls.key\` must be a PEM certificate and its own private key (${reason}).`);
    }
    tlsFiles = { cert, key };
  }
  return { codec, codecsByNamespace, cors: compileCors(o.cors), auth: compileAuth(o.auth), tls: tlsFiles, maxBodyBytes, logger: o.logger };
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const STATUS_TEXT_JSON = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function send(res: http.ServerResponse, answer: Answer, extra: Record<string, string>): void {
  const text = answer.status === 204 ? '' : JSON.stringify(answer.body);
  const headers: Record<string, string | number> = { ...extra, ...answer.headers };
  if (answer.status !== 204) Object.assign(headers, STATUS_TEXT_JSON, { 'Content-Length': Buffer.byteLength(text) });
  res.writeHead(answer.status, headers);
  res.end(text);
}

const fail = (status: number, error: string, headers?: Record<string, string>): Answer => ({ status, body: { error }, headers });

/** Reads the body up to `limit` bytes; `undefined` when it is larger (the rest is not read). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function splitPath(rawUrl: string | undefined): string[] | undefined {
  const pathname = (rawUrl ?? '/').split(/[?#]/, 1)[0]!;
  try {
    return pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/**
 * Creates a codec server. Routes, under any path prefix (only the last segment counts,
 * as the protocol says; the query string is ignored):
 * - `POST …/encode`, `POST …/decode`: body and answer `{"payloads":[…]}` in proto3 JSON;
 *   the namespace is the `X-Namespace` header or, without it, the segment before
 *   (`/orders/decode`);
 * - `OPTIONS` on those: the CORS preflight;
 * - `GET …/health` or `…/healthz`: 200 without authentication.
 *
 * Answers 400 for a body that is not Payloads JSON or that the codec fails on (the
 * message never holds payload bytes or keys), 401 without a valid bearer token, 403 when
 * `auth.verify` refuses the namespace, 404 for other paths and unknown namespaces, 405
 * for other methods, 413 past `maxBodyBytes`, 415 unless `Content-Type: application/json`.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION` for a missing codec, an unreadable TLS file,
 *   a bad origin or token list; `ERR_CONFLICTING_OPTIONS` for `cors.origins: ['*']` with `cors.credentials`
 */
export function createCodecServer(options: CodecServerOptions): CodecServer {
  const o = compile(options);
  let state: State = 'created';
  const transition = (from: readonly State[], to: State, what: string): void => {
    if (!from.includes(state)) throw new IllegalStateError('ERR_ILLEGAL_STATE', `The codec server cannot ${what} while ${state}.`);
    o.logger?.debug('codec server state', { from: state, to });
    state = to;
  };
  const server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }) : http.createServer();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    handle(o, req).then(
      ({ answer, cors, namespace, count }) => {
        send(res, answer, cors);
        o.logger?.debug('codec request', { method: req.method, path: (req.url ?? '').split('?', 1)[0], namespace, status: answer.status, payloads: count, ms: Date.now() - started });
      },
      (err: unknown) => {
        o.logger?.error('codec server error', { error: (err as Error)?.name, code: (err as BastionError)?.code });
        if (!res.headersSent) send(res, fail(500, 'The codec server failed; see its log.'), {});
        else res.destroy();
      },
    );
  });
  let closing: Promise<void> | undefined;
  return {
    async listen(port: number, host = '127.0.0.1'): Promise<CodecServerAddress> {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidOption('port', `must be a whole number from 0 to 65535, got ${JSON.stringify(port)}.`);
      transition(['created'], 'listening', 'listen');
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        state = 'closed';
        throw new CodecError('ERR_CODEC_SERVER_LISTEN', `The codec server could not listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Pick another port (0 for any free one) or an address of this host.`, { cause: err });
      }
      const actual = (server.address() as AddressInfo).port;
      const url = `${o.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      o.logger?.info('codec server listening', { url, tls: !!o.tls, auth: !!o.auth, cors: !!o.cors });
      return { url, port: actual };
    },
    close(): Promise<void> {
      closing ??= (async () => {
        if (state !== 'listening') {
          state = 'closed';
          return;
        }
        transition(['listening'], 'closing', 'close');
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), CODEC_SERVER_CLOSE_GRACE_MS);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        transition(['closing'], 'closed', 'finish closing');
      })();
      return closing;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await this.close();
    },
  };
}

interface Handled {
  answer: Answer;
  cors: Record<string, string>;
  namespace?: string;
  count?: number;
}

async function handle(o: Compiled, req: http.IncomingMessage): Promise<Handled> {
  const segments = splitPath(req.url);
  const last = segments?.[segments.length - 1];
  const method = req.method ?? 'GET';
  if (!segments) return { answer: fail(400, 'The request path is not valid percent-encoding.', { Connection: 'close' }), cors: {} };
  if (last !== undefined && HEALTH_PATHS.includes(last)) {
    if (method !== 'GET' && method !== 'HEAD') return { answer: fail(405, `${method} is not allowed on the health endpoint; use GET.`, { Allow: 'GET, HEAD' }), cors: {} };
    return { answer: { status: 200, body: { status: 'ok' } }, cors: {} };
  }
  if (last !== 'encode' && last !== 'decode') {
    return { answer: fail(404, 'Not found. The codec endpoints are POST …/encode and POST …/decode (and GET /health).'), cors: corsHeaders(o.cors, req.headers.origin, false) };
  }
  const operation: Operation = last;
  if (method === 'OPTIONS') return { answer: { status: 204, body: undefined }, cors: corsHeaders(o.cors, req.headers.origin, true) };
  const cors = corsHeaders(o.cors, req.headers.origin, false);
  // Early answers leave the body unread: close the connection rather than read it.
  const early = (status: number, error: string, headers?: Record<string, string>): Handled => ({ answer: fail(status, error, { Connection: 'close', ...headers }), cors });
  if (method !== 'POST') return early(405, `${method} is not allowed on /${operation}; send POST with a JSON body.`, { Allow: 'POST, OPTIONS' });
  const contentType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  // Requiring JSON also means browsers must send a preflight, which a page from another origin cannot pass.
  if (contentType !== 'application/json') {
    return early(415, `The body must be JSON: send \`Content-Type: application/json\`${contentType ? `, not \`${contentType}\`` : ''}.`);
  }
  const header = req.headers['x-namespace'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const namespace = fromHeader ?? segments[segments.length - 2] ?? '';
  const outcome = await authorize(o.auth, req, namespace, operation);
  if (outcome === 'missing') return early(401, 'This codec server needs `Authorization: Bearer <token>`. In the Web UI turn on "pass access token"; with the Temporal CLI pass `--codec-auth "Bearer <token>"`.', { 'WWW-Authenticate': 'Bearer realm="codec"' });
  if (outcome === 'invalid') return early(401, 'The bearer token is not valid for this codec server.', { 'WWW-Authenticate': 'Bearer realm="codec", error="invalid_token"' });
  if (outcome === 'forbidden') return { ...early(403, `The bearer token does not allow namespace ${JSON.stringify(namespace)}.`), namespace };
  const perNamespace = o.codecsByNamespace.get(namespace);
  const codec = perNamespace ?? o.codec;
  if (!codec) {
    if (!namespace) return early(400, 'Name the namespace: send the `X-Namespace` header (the Web UI and the Temporal CLI do), or post to `/<namespace>/' + operation + '`.');
    return { ...early(404, `This codec server has no codec for namespace ${JSON.stringify(namespace)}.`), namespace };
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > o.maxBodyBytes) return { ...early(413, `The body is ${declared} bytes; this server takes at most ${o.maxBodyBytes}. Decode fewer payloads per request, or raise \`maxBodyBytes\`.`), namespace };
  const body = await readBody(req, o.maxBodyBytes);
  if (body === undefined) return { ...early(413, `The body is larger than ${o.maxBodyBytes} bytes, the most this server takes. Decode fewer payloads per request, or raise \`maxBodyBytes\`.`), namespace };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    // JSON.parse's message quotes the text around the error; only its position is safe to repeat.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    return { answer: fail(400, `The body is not valid JSON${at ? ` (at byte ${at})` : ''}; send {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}.`), cors, namespace };
  }
  let payloads: Payload[];
  try {
    payloads = payloadsFromJson(json);
  } catch (err) {
    if (err instanceof BastionError) return { answer: fail(400, err.message), cors, namespace };
    throw err;
  }
  let result: Payload[];
  try {
    // A path segment is only known to be a namespace when the header says so or a codec is registered for it.
    const context: CodecContext | undefined = namespace && (fromHeader !== undefined || perNamespace) ? { namespace } : undefined;
    result = await codec[operation](payloads, context);
  } catch (err) {
    const code = err instanceof BastionError ? err.code : (err as Error)?.name ?? 'Error';
    o.logger?.warn('codec failed', { operation, namespace, payloads: payloads.length, code });
    // Bastion's codec errors are written to be safe to show; another codec's message might quote what it was given.
    const detail = err instanceof BastionError ? ` ${err.message}` : ' See the codec server\'s log.';
    return { answer: fail(400, `The codec could not ${operation} the payloads (${code}).${detail}`), cors, namespace, count: payloads.length };
  }
  if (!Array.isArray(result)) throw new TypeError(`the codec's ${operation} did not return an array`);
  return { answer: { status: 200, body: payloadsToJson(result) }, cors, namespace, count: payloads.length };
}
