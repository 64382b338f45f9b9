/**
 * `TestWorkflowEnvironment`: the official `@temporalio/testing` shapes over Bastion's dev
 * server, in this process (no child process, no download, port 0 so parallel test files
 * never collide).
 *
 * ```ts
 * const env = await TestWorkflowEnvironment.createTimeSkipping();
 * const worker = await Worker.create({ connection: env.connection, taskQueue: 'q', workflowsPath, activities });
 * const result = await worker.runUntil(env.client.workflow.execute(monthLong, { taskQueue: 'q', workflowId: 'w' }));
 * await env.teardown();
 * ```
 */
import { Connection, type ConnectionOptions } from '../connection';
import { Client, type ClientOptions } from '../client';
import { DevServer, type DevServerOptions } from '../server/dev-server';
import { TimeSkippingClock } from '../server/clock';
import { parseDuration, type Duration } from '../common/duration';
import { invalidOption } from '../common/errors';

export interface TestWorkflowEnvironmentOptions {
  /** Options of the in-process dev server (`port` 0 and in-memory state unless given). */
  server?: Omit<DevServerOptions, 'timeSkipping'>;
  /** Client options besides `connection` and `namespace`. */
  client?: Omit<ClientOptions, 'connection' | 'namespace'>;
  /** The namespace the client uses (created on the server). @default 'default' */
  namespace?: string;
}

export interface ExistingServerOptions {
  /** @default '127.0.0.1:7233' */
  address?: string;
  /** @default 'default' */
  namespace?: string;
  /** TLS, API key and metadata for the connection. */
  connectionOptions?: Omit<ConnectionOptions, 'address'>;
  client?: Omit<ClientOptions, 'connection' | 'namespace'>;
}

export class TestWorkflowEnvironment {
  /** The client; with time skipping, waits for results unlock time skipping meanwhile. */
  readonly client: Client;
  /** The connection workers take (`Worker.create({ connection: env.connection })`). */
  readonly connection: Connection;
  readonly namespace: string;
  /** `host:port` of the server. */
  readonly address: string;
  readonly supportsTimeSkipping: boolean;
  /** The in-process server (undefined for `createFromExistingServer`). */
  readonly server: DevServer | undefined;
  private tearingDown?: Promise<void>;

  private constructor(server: DevServer | undefined, connection: Connection, namespace: string, clientOptions: TestWorkflowEnvironmentOptions['client']) {
    this.server = server;
    this.connection = connection;
    this.namespace = namespace;
    this.address = connection.address;
    const clock = server?.clock;
    this.supportsTimeSkipping = clock instanceof TimeSkippingClock;
    this.client = new Client({ ...clientOptions, connection, namespace });
    if (clock instanceof TimeSkippingClock) {
      this.client.workflow.resultScope = async (wait) => {
        clock.unlock();
        try {
          return await wait();
        } finally {
          clock.lock();
        }
      };
    }
  }

  /** The official name of the connection workers take; the same object as `connection`. */
  get nativeConnection(): Connection {
    return this.connection;
  }

  /** A dev server with wall-clock time, as `temporal server start-dev` behaves. */
  static createLocal(options: TestWorkflowEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
    return this.startInProcess(options, false);
  }

  /**
   * A dev server with time skipping, as Temporal's test server: timers, timeouts and retry
   * backoffs are skipped while the client waits for a result (or `sleep()` runs) and no
   * workflow or activity task is outstanding. Activity work itself takes real time.
   */
  static createTimeSkipping(options: TestWorkflowEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
    return this.startInProcess(options, true);
  }

  /** Connects to a running server (a dev server, Temporal Server or Cloud); nothing is started or stopped. */
  static async createFromExistingServer(options: ExistingServerOptions = {}): Promise<TestWorkflowEnvironment> {
    const connection = await Connection.connect({ ...options.connectionOptions, address: options.address ?? '127.0.0.1:7233' });
    return new this(undefined, connection, options.namespace ?? 'default', options.client);
  }

  private static async startInProcess(options: TestWorkflowEnvironmentOptions, timeSkipping: boolean): Promise<TestWorkflowEnvironment> {
    const namespace = options.namespace ?? 'default';
    if (typeof namespace !== 'string' || !namespace) throw invalidOption('namespace', 'must be a non-empty namespace name.');
    const serverOptions = options.server ?? {};
    const server = await DevServer.start({
      logLevel: 'error',
      ...serverOptions,
      port: serverOptions.port ?? 0,
      namespaces: [...(serverOptions.namespaces ?? []), ...(namespace === 'default' ? [] : [namespace])],
      timeSkipping,
    });
    try {
      const connection = await Connection.connect({ address: server.address });
      return new this(server, connection, namespace, options.client);
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /**
   * Waits `duration`: with time skipping, unlocks time skipping and returns once the
   * server's clock has moved that far (at once when nothing runs); else waits wall time.
   */
  async sleep(duration: Duration): Promise<void> {
    const ms = parseDuration(duration, 'duration');
    const clock = this.server?.clock;
    if (clock instanceof TimeSkippingClock) await clock.unlockWhileSleeping(clock.now() + ms);
    else await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** The server's time (virtual with time skipping), in ms since the epoch. */
  async currentTimeMs(): Promise<number> {
    return this.server ? this.server.clock.now() : Date.now();
  }

  /** Closes the connection and stops the in-process server. Idempotent. */
  teardown(): Promise<void> {
    this.tearingDown ??= (async () => {
      await this.connection.close();
      await this.server?.close();
    })();
    return this.tearingDown;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.teardown();
  }
}
