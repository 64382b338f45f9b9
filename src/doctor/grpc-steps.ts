/** The `grpc`, `namespace` and `api-key` steps: `Connection.connect`, GetSystemInfo, DescribeNamespace. */
import { status } from '@grpc/grpc-js';
import { BastionError } from '../common/errors';
import { describeStatusError } from '../connection/connect-error';
import { Connection } from '../connection/connection';
import type { CompiledConnectionOptions } from '../connection/connection-options';
import { describeCause } from '../common/redact';
import { bounded } from './bounded';
import type { DoctorStep } from './types';

const SKIP = (name: DoctorStep['name'], detail: string): DoctorStep => ({ name, status: 'skipped', detail });

function grpcCode(err: unknown): number | undefined {
  const direct = (err as { code?: unknown })?.code;
  if (typeof direct === 'number') return direct;
  const inner = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof inner === 'number' ? inner : undefined;
}

function apiKeyStep(code: number | undefined, where: string): DoctorStep | undefined {
  if (code === status.UNAUTHENTICATED) {
    return {
      name: 'api-key',
      status: 'failed',
      detail: `The server did not accept the API key (UNAUTHENTICATED on ${where}): it is unknown, revoked or expired.`,
      fix: 'Create a new API key and pass it with --api-key (`apiKey`, TEMPORAL_API_KEY).',
    };
  }
  if (code === status.PERMISSION_DENIED) {
    return {
      name: 'api-key',
      status: 'failed',
      detail: `The server recognised the API key but it lacks permission (PERMISSION_DENIED on ${where}).`,
      fix: "Grant the key's identity access to this namespace, or use a key that has it.",
    };
  }
  return undefined;
}

/** Connects as `Connection.connect` does, then describes the namespace. */
export async function checkGrpc(compiled: CompiledConnectionOptions, namespace: string, timeoutMs: number, signal?: AbortSignal): Promise<DoctorStep[]> {
  const hasKey = compiled.apiKey !== undefined;
  const keySkip = hasKey ? undefined : SKIP('api-key', 'No API key configured.');
  let connection: Connection | undefined;
  const connected = await bounded(timeoutMs + 1000, signal, () =>
    Connection.connect(
      {
        address: compiled.address,
        tls: tlsOption(compiled),
        ...(compiled.apiKey ? { apiKey: compiled.apiKey } : {}),
        metadata: { ...compiled.metadata },
        connectTimeout: timeoutMs,
      },
      { signal },
    ),
  );
  connection = connected.value;
  try {
    if (!connection) {
      const err = connected.error;
      const code = grpcCode(err);
      const step: DoctorStep = connected.timedOut
        ? {
            name: 'grpc',
            status: 'failed',
            detail: `GetSystemInfo did not answer within ${timeoutMs} ms.`,
            fix: 'Check that the address is a Temporal frontend, or raise --timeout.',
          }
        : {
            name: 'grpc',
            status: 'failed',
            detail: err instanceof BastionError ? err.message : describeCause(err),
            cause: describeStatusError((err as { cause?: unknown })?.cause ?? err),
            fix:
              code === status.UNIMPLEMENTED
                ? 'Point --address at a Temporal frontend.'
                : code === status.UNAUTHENTICATED || code === status.PERMISSION_DENIED
                  ? 'The server refused the credentials: see the api-key step below.'
                  : 'See the detail; the steps above say more about the TLS side.',
          };
      return [
        step,
        SKIP('namespace', 'No gRPC connection.'),
        (hasKey ? apiKeyStep(code, 'GetSystemInfo') : undefined) ?? keySkip ?? SKIP('api-key', 'No gRPC connection.'),
      ];
    }
    const info = await bounded(timeoutMs, signal, () => connection!.workflowService.getSystemInfo({}, { timeout: timeoutMs }));
    const capabilities = info.value?.capabilities
      ? Object.entries(info.value.capabilities)
          .filter(([, v]) => v === true)
          .map(([k]) => k)
      : [];
    const serverVersion = info.value?.serverVersion || 'unknown';
    const grpcStep: DoctorStep = {
      name: 'grpc',
      status: 'ok',
      detail: `GetSystemInfo answered: server version ${serverVersion}.`,
      data: { serverVersion, capabilities },
    };
    const ns = await bounded(timeoutMs, signal, () => connection!.workflowService.describeNamespace({ namespace }, { timeout: timeoutMs }));
    let nsStep: DoctorStep;
    const code = grpcCode(ns.error);
    if (ns.timedOut)
      nsStep = { name: 'namespace', status: 'failed', detail: `DescribeNamespace did not answer within ${timeoutMs} ms.`, fix: 'Retry, or raise --timeout.' };
    else if (ns.error && code === status.NOT_FOUND) {
      nsStep = {
        name: 'namespace',
        status: 'failed',
        detail: `Namespace ${namespace} does not exist on this server.`,
        cause: describeStatusError(ns.error),
        fix: 'Check --namespace (`namespace`, TEMPORAL_NAMESPACE); for Temporal Cloud it is NAME.ACCOUNT.',
      };
    } else if (ns.error) {
      nsStep = {
        name: 'namespace',
        status: 'failed',
        detail: `DescribeNamespace ${namespace} failed: ${describeStatusError(ns.error)}.`,
        cause: describeStatusError(ns.error),
        fix: code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED ? 'Check that your credentials may access this namespace.' : 'See the cause.',
      };
    } else {
      const state = (ns.value as { namespaceInfo?: { state?: unknown } }).namespaceInfo?.state;
      nsStep = { name: 'namespace', status: 'ok', detail: `Namespace ${namespace} exists.`, data: { namespace, state } };
    }
    const keyStep = hasKey
      ? (apiKeyStep(code, 'DescribeNamespace') ?? ({ name: 'api-key', status: 'ok', detail: 'The server accepted the API key.' } as DoctorStep))
      : keySkip!;
    return [grpcStep, nsStep, keyStep];
  } finally {
    await connection?.close();
  }
}

/** The `tls` connection option equivalent to compiled TLS settings (key text is passed, never printed). */
function tlsOption(compiled: CompiledConnectionOptions): boolean | object {
  const t = compiled.tls;
  if (!t) return false;
  return {
    ...(t.serverRootCACertificate ? { serverRootCACertificate: t.serverRootCACertificate } : {}),
    ...(t.clientCertPair ? { clientCertPair: { crt: t.clientCertPair.crt, key: t.clientCertPair.key } } : {}),
    ...(t.serverNameOverride ? { serverNameOverride: t.serverNameOverride } : {}),
  };
}
