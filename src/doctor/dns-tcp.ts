/** The `dns` and `tcp` steps: resolving the host and opening a TCP connection, each bounded. */
import * as dns from 'node:dns';
import * as net from 'node:net';
import { bounded } from './bounded';
import type { DoctorStep } from './types';

/** Resolves `host` (IP literals are skipped). Returns the step and the address to connect to. */
export async function checkDns(host: string, timeoutMs: number, signal?: AbortSignal): Promise<{ step: DoctorStep; ip?: string }> {
  if (net.isIP(host)) return { step: { name: 'dns', status: 'skipped', detail: `${host} is an IP address; nothing to resolve.` }, ip: host };
  const result = await bounded(timeoutMs, signal, () => dns.promises.lookup(host, { all: true }));
  if (result.timedOut) {
    return {
      step: {
        name: 'dns',
        status: 'failed',
        detail: `Resolving ${host} did not finish within ${timeoutMs} ms.`,
        fix: 'Check the DNS servers this machine uses (and any VPN or proxy), then retry.',
      },
    };
  }
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code ?? 'error';
    const missing = code === 'ENOTFOUND' || code === 'EAI_NONAME';
    return {
      step: {
        name: 'dns',
        status: 'failed',
        cause: code,
        detail: missing ? `The host name ${host} does not exist in DNS (${code}).` : `Resolving ${host} failed (${code}).`,
        fix: missing
          ? 'Check the spelling of the host in `address` (--address); for Temporal Cloud it looks like NAMESPACE.ACCOUNT.tmprl.cloud:7233.'
          : "Check this machine's DNS configuration and network, then retry.",
      },
    };
  }
  const addresses = result.value!.map((a) => a.address);
  return { step: { name: 'dns', status: 'ok', detail: `${host} resolves to ${addresses.join(', ')}.`, data: { addresses } }, ip: addresses[0] };
}

/** Opens (and closes) one TCP connection to `host:port`. */
export async function checkTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<DoctorStep> {
  const where = `${host}:${port}`;
  let socket: net.Socket | undefined;
  const result = await bounded(
    timeoutMs,
    signal,
    () =>
      new Promise<void>((resolve, reject) => {
        socket = net.connect({ host, port });
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }),
  );
  socket?.destroy();
  if (result.timedOut) {
    return {
      name: 'tcp',
      status: 'failed',
      cause: 'timeout',
      detail: `A TCP connection to ${where} was neither accepted nor refused within ${timeoutMs} ms: something (a firewall, a security group, a network without a route) drops the packets.`,
      fix: `Check that ${where} is reachable from this machine (firewall rules, VPN, private link), or raise --timeout.`,
    };
  }
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ECONNREFUSED') {
      return {
        name: 'tcp',
        status: 'failed',
        cause: code,
        detail: `Nothing is listening on ${where}: the connection was refused (ECONNREFUSED).`,
        fix: `Check the port in \`address\` (--address) and that the server is running on ${where}.`,
      };
    }
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return {
        name: 'tcp',
        status: 'failed',
        cause: code,
        detail: `${where} is unreachable from this machine (${code}): there is no network route to it.`,
        fix: "Check this machine's network, VPN or routing to the server.",
      };
    }
    return {
      name: 'tcp',
      status: 'failed',
      cause: code,
      detail: `The TCP connection to ${where} failed (${code}).`,
      fix: `Check that ${where} is reachable from this machine.`,
    };
  }
  return { name: 'tcp', status: 'ok', detail: `${where} accepts TCP connections.` };
}
