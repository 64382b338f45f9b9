/** `bastion operator namespace list|describe|create`, as `temporal operator namespace …`. */
import { CliError } from '../common/errors';
import { lookupType, temporal } from '../common/proto';
import type { TemporalTypes } from '../common/proto';
import { writeMessage, type ReflectedType } from '../converter/proto-json';
import { parseFlags, wantsHelp } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { durationText, emit, fields, print, shortEnumName, table } from './output';

export const NAMESPACE_LIST_HELP = `Usage: bastion operator namespace list [flags]

Lists the namespaces of the server with their state and retention.

${CONNECTION_FLAGS_HELP}
Example:
  bastion operator namespace list --output json
`;

export const NAMESPACE_DESCRIBE_HELP = `Usage: bastion operator namespace describe [NAMESPACE] [flags]

Shows a namespace: id, state, description, owner, retention. The namespace is the
argument, or --namespace.

Flags:
  --namespace-id ID       describe the namespace with this id instead

${CONNECTION_FLAGS_HELP}
Example:
  bastion operator namespace describe orders
`;

export const NAMESPACE_CREATE_HELP = `Usage: bastion operator namespace create [NAMESPACE] [flags]

Registers a namespace. The namespace is the argument, or --namespace.

Flags:
  --retention D           how long closed workflows are kept ("72h", "30d"; default 72h;
                          a bare number is seconds)
  --description TEXT      what the namespace is for
  --email ADDRESS         the owner's email

${CONNECTION_FLAGS_HELP}
Example:
  bastion operator namespace create orders --retention 72h --description "order workflows"
`;

type DescribeResponse = TemporalTypes.api.workflowservice.v1.IDescribeNamespaceResponse;

/** The namespace given as the first argument, and the remaining flags. */
function takeNamespaceArgument(argv: string[]): { name?: string; rest: string[] } {
  if (argv[0] !== undefined && !argv[0].startsWith('-')) return { name: argv[0], rest: argv.slice(1) };
  return { rest: argv };
}

const json = (res: DescribeResponse) =>
  writeMessage(lookupType('temporal.api.workflowservice.v1.DescribeNamespaceResponse') as unknown as ReflectedType, res as unknown as Record<string, unknown>);
const stateName = (v: unknown) => shortEnumName(temporal.api.enums.v1.NamespaceState as unknown as Record<string, unknown>, v, 'NAMESPACE_STATE_');

function card(res: DescribeResponse): string {
  const info = res.namespaceInfo ?? {};
  return fields([
    ['Name', info.name ?? '-'],
    ['ID', info.id ?? '-'],
    ['State', stateName(info.state)],
    ['Description', info.description || '-'],
    ['Owner email', info.ownerEmail || '-'],
    ['Retention', durationText(res.config?.workflowExecutionRetentionTtl)],
  ]);
}

export async function namespaceList(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(NAMESPACE_LIST_HELP);
    return 0;
  }
  const flags = parseFlags(argv, CONNECTION_FLAGS, 'operator namespace list');
  const settings = operatorSettings(flags);
  const all: DescribeResponse[] = [];
  await withConnection(settings, async (connection) => {
    let nextPageToken: Uint8Array | undefined;
    do {
      const res = await connection.workflowService
        .listNamespaces({ pageSize: 1000, nextPageToken })
        .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'ListNamespaces', namespace: settings.namespace })));
      all.push(...(res.namespaces ?? []));
      nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
    } while (nextPageToken);
  });
  emit(settings.output, all.map(json), () =>
    table(
      ['NAME', 'STATE', 'RETENTION', 'DESCRIPTION'],
      all.map((n) => [
        n.namespaceInfo?.name ?? '',
        stateName(n.namespaceInfo?.state),
        durationText(n.config?.workflowExecutionRetentionTtl),
        n.namespaceInfo?.description ?? '',
      ]),
    ),
  );
  return 0;
}

export async function namespaceDescribe(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(NAMESPACE_DESCRIBE_HELP);
    return 0;
  }
  const { name, rest } = takeNamespaceArgument(argv);
  const flags = parseFlags(rest, { ...CONNECTION_FLAGS, 'namespace-id': { value: true } }, 'operator namespace describe');
  const settings = operatorSettings(flags);
  const id = flags['namespace-id'] as string | undefined;
  const namespace = name ?? settings.namespace;
  const res = await withConnection(settings, (connection) =>
    connection.workflowService
      .describeNamespace(id ? { id } : { namespace })
      .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'DescribeNamespace', namespace: id ? `with id ${id}` : namespace }))),
  );
  emit(settings.output, json(res), () => card(res));
  return 0;
}

export async function namespaceCreate(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(NAMESPACE_CREATE_HELP);
    return 0;
  }
  const { name, rest } = takeNamespaceArgument(argv);
  const flags = parseFlags(
    rest,
    { ...CONNECTION_FLAGS, retention: { value: true }, description: { value: true }, email: { value: true } },
    'operator namespace create',
  );
  const settings = operatorSettings(flags);
  const namespace = name ?? (typeof flags.namespace === 'string' ? flags.namespace : undefined);
  if (!namespace)
    throw new CliError(
      'ERR_CLI_USAGE',
      '`operator namespace create` needs the namespace to create: `bastion operator namespace create NAME` or `--namespace NAME`.',
    );
  const retention = retentionSeconds(flags.retention as string | undefined);
  await withConnection(settings, (connection) =>
    connection.workflowService
      .registerNamespace({
        namespace,
        description: (flags.description as string | undefined) ?? '',
        ownerEmail: (flags.email as string | undefined) ?? '',
        workflowExecutionRetentionPeriod: { seconds: retention as never, nanos: 0 },
      })
      .catch((err: unknown) => {
        if ((err as { code?: unknown })?.code === 6)
          return Promise.reject(new CliError('ERR_CLI_CALL_FAILED', `Namespace ${namespace} already exists.`, { cause: err }));
        return Promise.reject(callFailed(err, { rpc: 'RegisterNamespace', namespace }));
      }),
  );
  emit(
    settings.output,
    { namespace, retentionSeconds: retention },
    () => `Namespace ${namespace} created (retention ${durationText({ seconds: retention })}).`,
  );
  return 0;
}

const DAY = 86_400;

/** `--retention` in seconds: "72h", "30d", "1.5h", or a bare number of seconds. */
function retentionSeconds(given: string | undefined): number {
  if (given === undefined) return 3 * DAY;
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(given.trim());
  if (!m)
    throw new CliError('ERR_CLI_USAGE', `\`--retention\` must be a duration such as "72h" or "30d" (a bare number is seconds); got "${given.slice(0, 40)}".`);
  const unit = { s: 1, m: 60, h: 3600, d: DAY }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Math.round(Number(m[1]) * unit);
  if (seconds < 1) throw new CliError('ERR_CLI_USAGE', '`--retention` must be at least one second.');
  return seconds;
}
