/**
 * The codec server: the remote codec endpoint the Temporal Web UI and the Temporal CLI
 * call to show payloads that a {@link PayloadCodec} (encryption, compression) encoded.
 * Plain `node:http`/`node:https`; bearer-token auth, CORS for the Web UI, bounded memory
 * (body, decoded bytes per request and across requests, payload count, decompressions),
 * slow-client timeouts, 400 (never 500) for bad input, and no insecure bind by accident.
 *
 * ```ts
 * const server = createCodecServer({ codec, cors: { origins: ['https://temporal-ui.example.com'] }, auth: { tokens: [process.env.CODEC_TOKEN!] } });
 * const { url } = await server.listen(8888);
 * ```
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { type BastionError, CodecError, IllegalStateError, invalidOption } from '../src/common/errors';
import { closeHttp, listenHttp } from '../src/common/http-listen';
import { compileCodecServerOptions, type CodecServerOptions, type CompiledCodecServerOptions } from './codec-server-options';
import { fail, handle, limitAnswer, type Answer } from './codec-server-handler';
import { DecodeBudget, InFlightBytes, Semaphore } from './decode-budget';

export {
  DEFAULT_CODEC_SERVER_MAX_BODY_BYTES,
  DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST,
  DEFAULT_CODEC_SERVER_MAX_IN_FLIGHT_BYTES,
  DEFAULT_CODEC_SERVER_MAX_PAYLOADS_PER_REQUEST,
  DEFAULT_CODEC_SERVER_MAX_CONCURRENT_DECOMPRESSIONS,
  DEFAULT_CODEC_SERVER_MAX_CONNECTIONS,
  DEFAULT_CODEC_SERVER_HEADERS_TIMEOUT_MS,
  DEFAULT_CODEC_SERVER_REQUEST_TIMEOUT_MS,
} from './codec-server-options';
export type { CodecServerOptions, CodecServerCodec, CodecOrChain, CodecServerLogger, CodecServerLimits } from './codec-server-options';
export { HEALTH_PATHS } from './codec-server-handler';

/** How long `close()` waits for requests in progress before closing their connections. */
export const CODEC_SERVER_CLOSE_GRACE_MS = 5000;

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
   * @throws {CodecError} `ERR_CODEC_SERVER_INSECURE_BIND` for an address other than loopback without
   *   `tls` and `auth` (unless `allowInsecureNonLoopback`); `ERR_CODEC_SERVER_LISTEN` when the port is
   *   taken or the address is not local
   * @throws {IllegalStateError} `ERR_ILLEGAL_STATE` when called twice or after `close()`
   */
  listen(port: number, host?: string): Promise<CodecServerAddress>;
  /** Stops accepting requests, lets those in progress finish, closes connections. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

type State = 'created' | 'listening' | 'closing' | 'closed';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** True for `localhost` and loopback IP literals (127.0.0.0/8, ::1, 127.x in its IPv4-mapped form). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  const family = net.isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function writeAnswer(res: http.ServerResponse, status: number, text: string, headers: Record<string, string | number>): void {
  if (status !== 204) Object.assign(headers, JSON_HEADERS, { 'Content-Length': Buffer.byteLength(text) });
  res.writeHead(status, headers);
  res.end(text);
}

/** Sends `answer`; the answer's bytes are charged to the request's budget until sent (503 when they do not fit). */
function send(o: CompiledCodecServerOptions, res: http.ServerResponse, answer: Answer, cors: Record<string, string>, budget: DecodeBudget): number {
  const text = answer.status === 204 ? '' : JSON.stringify(answer.body);
  try {
    // Held twice until sent: as the string, and as the bytes queued on the socket.
    budget.hold(Buffer.byteLength(text) * 2);
  } catch {
    const busy = limitAnswer(
      'ERR_CODEC_SERVER_BUSY',
      `The codec server holds \`maxInFlightBytes\` (${o.limits.maxInFlightBytes} bytes) for requests in progress and cannot hold this answer; retry shortly.`,
      o.limits,
    );
    writeAnswer(res, busy.status, JSON.stringify(busy.body), { ...cors, ...busy.headers });
    return busy.status;
  }
  writeAnswer(res, answer.status, text, { ...cors, ...answer.headers });
  return answer.status;
}

/** Calls `done` once the answer has left the process (the socket's buffer is empty) or the connection closed. */
function whenSent(res: http.ServerResponse, socket: net.Socket, done: () => void): void {
  let checked = false;
  const check = () => {
    if (checked) return;
    checked = true;
    if (socket.destroyed || socket.writableLength === 0) return done();
    // A keep-alive socket outlives the request: leave no listener behind on it.
    const settle = () => {
      socket.off('drain', settle);
      socket.off('close', settle);
      done();
    };
    socket.on('drain', settle);
    socket.on('close', settle);
  };
  res.once('finish', check);
  res.once('close', check);
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
 * message never holds payload bytes, metadata values or keys), 401 without a valid bearer
 * token, 403 when `auth.verify` refuses the namespace, 404 for other paths and unknown
 * namespaces, 405 for other methods, 408 to a client too slow to send its request, 413
 * past `maxBodyBytes`, `maxDecodedBytesPerRequest` or `maxPayloadsPerRequest`, 415 unless
 * `Content-Type: application/json`, 503 past `maxInFlightBytes`.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION` for a missing codec, an unreadable TLS file,
 *   a bad origin, token list or limit; `ERR_CONFLICTING_OPTIONS` for `cors.origins: ['*']`
 *   with `cors.credentials`, or limits that contradict each other
 */
export function createCodecServer(options: CodecServerOptions): CodecServer {
  const o = compileCodecServerOptions(options);
  const { limits } = o;
  let state: State = 'created';
  const transition = (from: readonly State[], to: State, what: string): void => {
    if (!from.includes(state)) throw new IllegalStateError('ERR_ILLEGAL_STATE', `The codec server cannot ${what} while ${state}.`);
    o.logger?.debug('codec server state', { from: state, to });
    state = to;
  };
  const serverOptions: http.ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both timeouts on this interval (30 s by default): check often enough to honour them.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const server = o.tls ? https.createServer({ ...serverOptions, cert: o.tls.cert, key: o.tls.key }) : http.createServer(serverOptions);
  server.maxConnections = limits.maxConnections;
  // A connection idle that long (a client that stopped reading its answer, say) is closed.
  server.setTimeout(limits.requestTimeoutMs);
  const inFlight = new InFlightBytes(limits.maxInFlightBytes);
  const decompressions = new Semaphore(limits.maxConcurrentDecompressions);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    const budget = new DecodeBudget(limits, inFlight, decompressions);
    whenSent(res, req.socket, () => budget.release());
    handle(o, req, budget).then(
      ({ answer, cors, namespace, count }) => {
        const status = send(o, res, answer, cors, budget);
        o.logger?.debug('codec request', {
          method: req.method,
          path: (req.url ?? '').split('?', 1)[0],
          namespace,
          status,
          payloads: count,
          decodedBytes: budget.decoded,
          ms: Date.now() - started,
        });
      },
      (err: unknown) => {
        o.logger?.error('codec server error', { error: (err as Error)?.name, code: (err as BastionError)?.code });
        if (!res.headersSent) {
          const answer = fail(500, 'The codec server failed; see its log.');
          writeAnswer(res, answer.status, JSON.stringify(answer.body), {});
        } else res.destroy();
      },
    );
  });
  let closing: Promise<void> | undefined;
  return {
    async listen(port: number, host = '127.0.0.1'): Promise<CodecServerAddress> {
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw invalidOption('port', `must be a whole number from 0 to 65535, got ${JSON.stringify(port)}.`);
      if (typeof host !== 'string' || host === '') throw invalidOption('host', `must be an address or host name, got ${JSON.stringify(host)}.`);
      if (!isLoopbackHost(host) && !o.allowInsecureNonLoopback && (!o.tls || !o.auth)) {
        const missing = [!o.tls && 'TLS (`tls`, `--tls-cert`/`--tls-key`)', !o.auth && 'authentication (`auth`, `--auth-token-env`/`--auth-token-file`)']
          .filter(Boolean)
          .join(' and ');
        throw new CodecError(
          'ERR_CODEC_SERVER_INSECURE_BIND',
          `The codec server will not listen on ${host}, an address other than loopback, without ${missing}: decoded payloads would be open to the network. Add them, listen on 127.0.0.1, or accept the risk with \`allowInsecureNonLoopback: true\` (\`--allow-insecure-bind\`).`,
        );
      }
      transition(['created'], 'listening', 'listen');
      let actual: number;
      try {
        ({ port: actual } = await listenHttp(server, port, host));
      } catch (err) {
        state = 'closed';
        throw new CodecError(
          'ERR_CODEC_SERVER_LISTEN',
          `The codec server could not listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Pick another port (0 for any free one) or an address of this host.`,
          { cause: err },
        );
      }
      const url = `${o.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      o.logger?.info('codec server listening', { url, tls: !!o.tls, auth: !!o.auth, cors: !!o.cors, ...limits });
      if (!isLoopbackHost(host) && (!o.tls || !o.auth))
        o.logger?.warn('codec server listening beyond loopback without TLS or authentication (allowInsecureNonLoopback)', { url });
      return { url, port: actual };
    },
    close(): Promise<void> {
      closing ??= (async () => {
        if (state !== 'listening') {
          state = 'closed';
          return;
        }
        transition(['listening'], 'closing', 'close');
        await closeHttp(server, CODEC_SERVER_CLOSE_GRACE_MS);
        transition(['closing'], 'closed', 'finish closing');
      })();
      return closing;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await this.close();
    },
  };
}
