/**
 * One small HTTP server for `/metrics` (Prometheus text format, from a prom-client
 * registry), `/healthz` and `/readyz` (Kubernetes probes). Started by
 * `Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } })`,
 * by a worker's `healthServer` option, or by the dev server's `metricsPort`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../common/errors';
import { closeHttp, listenHttp } from '../common/http-listen';
import { EventLoopWatch, healthSources, liveness, readiness, DEFAULT_EVENT_LOOP_DELAY_THRESHOLD_MS, type HealthSource, type ProbeResult } from './health';
import type { PrometheusRegistry } from './prometheus-recorder';

/** Options of {@link ObservabilityServer.start}. */
export interface ObservabilityServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 9464 */
  port?: number;
  /** Served at `/metrics`; without one `/metrics` answers 404. */
  registry?: PrometheusRegistry;
  /** Event-loop delay (ms) over which `/healthz` answers 503. @default 1000 */
  eventLoopDelayThresholdMs?: number;
  /** The workers the probes look at. @default every worker of the process */
  sources?: () => Iterable<HealthSource>;
  /** Replaces `/healthz` and `/readyz` (the dev server has no workers). */
  probes?: { liveness(): ProbeResult; readiness(): ProbeResult };
  /** The option that asked for the server, for error messages. @default 'healthServer' */
  option?: string;
}

/** @default 9464 (the OpenTelemetry Prometheus exporter's port, as the official SDK examples use) */
export const DEFAULT_OBSERVABILITY_PORT = 9464;

/** A running `/metrics` + `/healthz` + `/readyz` server. `close()` is idempotent. */
export class ObservabilityServer implements AsyncDisposable {
  private closing?: Promise<void>;
  private constructor(
    private readonly server: http.Server,
    private readonly loop: EventLoopWatch | undefined,
    /** `host:port` it listens on. */
    readonly address: string,
    readonly port: number,
  ) {}

  /**
   * Listens on `host:port`.
   * @throws {ConfigError} `ERR_OBSERVABILITY_LISTEN` naming the address and the option
   */
  static async start(options: ObservabilityServerOptions = {}): Promise<ObservabilityServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_OBSERVABILITY_PORT;
    const loop = options.probes ? undefined : new EventLoopWatch(options.eventLoopDelayThresholdMs ?? DEFAULT_EVENT_LOOP_DELAY_THRESHOLD_MS);
    const sources = options.sources ?? (() => healthSources);
    const probes = options.probes ?? { liveness: () => liveness(sources(), loop!), readiness: () => readiness(sources()) };
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/healthz' || path === '/readyz') {
        const r = path === '/healthz' ? probes.liveness() : probes.readiness();
        res.writeHead(r.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(r.body));
        return;
      }
      if (path === '/metrics') {
        if (!options.registry) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are not enabled on this server\n');
          return;
        }
        options.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': options.registry!.contentType }).end(text),
          (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${err.message}\n`),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    });
    let a: AddressInfo;
    try {
      a = await listenHttp(server, port, host);
    } catch (err) {
      loop?.close();
      throw new ConfigError(
        'ERR_OBSERVABILITY_LISTEN',
        `\`${options.option ?? 'healthServer'}\`: the metrics and probe server could not listen on ${host}:${port}: ${(err as Error).message}. Choose another port (0 picks a free one) or host.`,
        { cause: err },
      );
    }
    server.unref();
    const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return new ObservabilityServer(server, loop, `${shown}:${a.port}`, a.port);
  }

  /** `http://host:port`. */
  get url(): string {
    return `http://${this.address}`;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.loop?.close();
      this.closing = closeHttp(this.server, 0);
    }
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** `host:port` (IPv6 in brackets) into its parts. @throws {ConfigError} `ERR_INVALID_OPTION` */
export function parseBindAddress(value: unknown, option: string): { host: string; port: number } {
  const m = typeof value === 'string' ? /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim()) : null;
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${option}\` must be \`host:port\` (e.g. \`0.0.0.0:9464\`; port 0 picks a free one); got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}.`,
    );
  return { host: m[1] ?? m[2]!, port };
}
