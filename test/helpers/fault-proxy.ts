/**
 * A loopback TCP relay between a client and a server that can break the way networks
 * break: `delay` (every chunk held for a while), `cut` (every connection closed with a
 * FIN), `reset` (every connection reset with an RST), `blackHole` (connections accepted
 * but nothing forwarded, and the ones it held never forwarded again: a port-forward or NAT
 * whose upstream is gone), `refuse` (the port closed: connection refused).
 *
 * ```ts
 * const proxy = await FaultProxy.start('127.0.0.1:7233');
 * await Connection.connect({ address: proxy.address });
 * proxy.blackHole(); …; proxy.heal();
 * ```
 */
import * as net from 'node:net';

export type FaultMode = 'healthy' | 'delay' | 'blackHole' | 'refuse';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** A black-holed pair forwards nothing, ever again (its sockets stay open until close()). */
  dead: boolean;
}

export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private server: net.Server;
  private modeValue: FaultMode = 'healthy';
  private delayMs = 0;
  /** Connections accepted, in total (a reconnecting client shows here). */
  accepted = 0;

  private constructor(
    private target: { host: string; port: number },
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  /** Starts a relay on 127.0.0.1 (port 0 unless given) to `target` (`host:port`). */
  static async start(target: string, port = 0): Promise<FaultProxy> {
    const parsed = parseTarget(target);
    const holder: { proxy?: FaultProxy } = {};
    const server = await listen(port, (socket) => holder.proxy!.accept(socket));
    holder.proxy = new FaultProxy(parsed, (server.address() as net.AddressInfo).port, server);
    return holder.proxy;
  }

  /** `127.0.0.1:<port>` for a client to connect to. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get mode(): FaultMode {
    return this.modeValue;
  }

  /** Points new connections at another server (e.g. a restarted one on a new port). */
  retarget(target: string): void {
    this.target = parseTarget(target);
  }

  /** Connections currently relayed (not dead). */
  get liveConnections(): number {
    return [...this.pairs].filter((p) => !p.dead).length;
  }

  /** Forwards again: new connections are relayed; black-holed ones stay dead. */
  async heal(): Promise<void> {
    await this.listenAgain();
    this.modeValue = 'healthy';
    this.delayMs = 0;
  }

  /** Holds every chunk in both directions for `ms` before forwarding it. */
  delay(ms: number): void {
    this.modeValue = 'delay';
    this.delayMs = ms;
  }

  /** Closes every relayed connection with a FIN (both sides); new connections are relayed. */
  cut(): void {
    for (const p of [...this.pairs]) this.drop(p, 'end');
  }

  /** Resets every relayed connection (RST on both sides); new connections are relayed. */
  reset(): void {
    for (const p of [...this.pairs]) this.drop(p, 'reset');
  }

  /**
   * From now on nothing is forwarded: connections held so far are silently dead for good
   * (their sockets stay open, data is dropped), new ones are accepted and never answered.
   */
  blackHole(): void {
    this.modeValue = 'blackHole';
    for (const p of this.pairs) this.kill(p);
  }

  /** Closes the listening port (clients get ECONNREFUSED) and resets every relayed connection. */
  async refuse(): Promise<void> {
    this.modeValue = 'refuse';
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.reset();
    await closed;
  }

  /** Closes everything; idempotent. */
  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.drop(p, 'reset');
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async listenAgain(): Promise<void> {
    if (this.server.listening) return;
    this.server = await listen(this.port, (socket) => this.accept(socket));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const pair: Pair = { client, upstream: undefined, dead: false };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => this.drop(pair, 'reset'));
    if (this.modeValue === 'blackHole') {
      this.kill(pair);
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.drop(pair, 'end'));
    this.forward(pair, client, upstream);
    this.forward(pair, upstream, client);
  }

  private forward(pair: Pair, from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (pair.dead) return;
      if (this.modeValue === 'delay' && this.delayMs > 0) {
        from.pause();
        setTimeout(() => {
          if (!pair.dead && !to.destroyed) to.write(chunk);
          from.resume();
        }, this.delayMs);
        return;
      }
      if (!to.destroyed) to.write(chunk);
    });
  }

  /** Silently dead: data on either side is read and dropped, nothing is closed. */
  private kill(pair: Pair): void {
    pair.dead = true;
    pair.client.resume();
    pair.upstream?.resume();
  }

  private drop(pair: Pair, how: 'end' | 'reset'): void {
    if (!this.pairs.delete(pair)) return;
    pair.dead = true;
    for (const s of [pair.client, pair.upstream]) {
      if (!s || s.destroyed) continue;
      if (how === 'reset') s.resetAndDestroy();
      else s.end();
    }
  }
}

function parseTarget(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  return { host: target.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(target.slice(i + 1)) };
}

function listen(port: number, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true }, onConnection);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
