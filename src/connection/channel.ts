/**
 * One grpc-js channel of a connection, the arguments it is opened with, and the handshake
 * watchdog's view of it: whether it has been trying to connect for too long.
 */
import * as grpc from '@grpc/grpc-js';
import { CLIENT_NAME, CLIENT_VERSION } from './client-identity';
import type { CompiledConnectionOptions } from './connection-options';
import { channelCredentials, type CompiledTls } from './tls-credentials';
import { workflowServiceMethods } from './workflow-service';

/**
 * One grpc-js client with the TLS settings it was made with. A rotation makes a new one;
 * the old one is `retiring`: its long polls are moved at once, and it closes when its
 * last call finishes.
 */
export interface Channel {
  readonly id: number;
  readonly client: grpc.Client;
  readonly tls: CompiledTls | undefined;
  inflight: number;
  retiring: boolean;
  /** Cancels each long poll on this channel so it is reissued on the current one. */
  readonly longPolls: Set<() => void>;
  /** Cancels each call on this channel and reissues it on the current one (for a channel that never connected). */
  readonly calls: Set<() => void>;
  /** Set by the handshake watchdog: since when the channel has been CONNECTING / not READY. */
  connectingSince?: number;
  notReadySince?: number;
}

/** What the connection knows about its recent calls: `connection.health()`. */
export interface ConnectionHealth {
  /** When a call last got an answer from the server (an empty long poll counts); undefined before the first. */
  lastSuccessfulCallAt: Date | undefined;
  /** The last call failure (status code name and message), and when it happened; never cleared (compare the times). */
  lastError: { code: string; message: string; at: Date } | undefined;
  /** grpc-js's state of the current channel: IDLE, CONNECTING, READY, TRANSIENT_FAILURE or SHUTDOWN. */
  channelState: string;
  /** Channels abandoned because their HTTP/2 handshake did not finish within `connectTimeout`. */
  abandonedHandshakes: number;
}

/**
 * Channel arguments Bastion always sets: keepalive pings so a dead peer is noticed during
 * a long poll, a reconnect backoff capped at a few seconds, and a receive limit large
 * enough for big histories (as the official SDK).
 */
export function channelArgs(o: CompiledConnectionOptions): grpc.ChannelOptions {
  return {
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.keepalive_time_ms': o.keepAlive.intervalMs,
    'grpc.keepalive_timeout_ms': o.keepAlive.timeoutMs,
    'grpc.initial_reconnect_backoff_ms': o.reconnect.initialIntervalMs,
    'grpc.max_reconnect_backoff_ms': o.reconnect.maxIntervalMs,
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.primary_user_agent': `${CLIENT_NAME}/${CLIENT_VERSION}`,
  };
}

/** Opens channel number `id`. A distinct channel argument keeps grpc-js from sharing subchannels (and their TLS sessions) across channels. */
export function openChannel(o: CompiledConnectionOptions, tls: CompiledTls | undefined, id: number): Channel {
  const { credentials, channelOptions } = channelCredentials(tls);
  const client = new grpc.Client(o.address, credentials, { ...channelArgs(o), ...channelOptions, 'bastion.channel_id': id });
  return { id, client, tls, inflight: 0, retiring: false, longPolls: new Set(), calls: new Set() };
}

/**
 * Whether `channel`, seen in `state` at `now`, is stuck: CONNECTING for longer than
 * `connectTimeout`, or not READY for longer than `connectTimeout` plus the longest
 * reconnect backoff. Records when each condition began on the channel.
 */
export function handshakeStuck(channel: Channel, state: grpc.connectivityState, now: number, o: CompiledConnectionOptions): boolean {
  if (state === grpc.connectivityState.READY || state === grpc.connectivityState.IDLE) {
    channel.connectingSince = undefined;
    channel.notReadySince = undefined;
    return false;
  }
  channel.notReadySince ??= now;
  if (state === grpc.connectivityState.CONNECTING) channel.connectingSince ??= now;
  else channel.connectingSince = undefined;
  const stuckConnecting = channel.connectingSince !== undefined && now - channel.connectingSince > o.connectTimeoutMs;
  const stuckFailing = now - channel.notReadySince > o.connectTimeoutMs + o.reconnect.maxIntervalMs;
  return stuckConnecting || stuckFailing;
}

/** One `GetSystemInfo` call on `channel` alone (no retries), as a rotation's test of new settings; rejects with the call's error. */
export function probeChannel(channel: Channel, metadata: grpc.Metadata, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const method = workflowServiceMethods().find((m) => m.name === 'GetSystemInfo')!;
  return new Promise<void>((resolve, reject) => {
    const call = channel.client.makeUnaryRequest(
      method.path,
      (b: Buffer) => b,
      method.deserialize,
      method.serialize({}),
      metadata,
      { deadline: new Date(Date.now() + timeoutMs) },
      (err) => (err ? reject(err) : resolve()),
    );
    signal?.addEventListener('abort', () => call.cancel(), { once: true });
  });
}
