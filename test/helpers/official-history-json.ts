/**
 * The official SDK's `historyFromJSON` and `historyToJSON` (`@temporalio/common` 1.24), as
 * judges of Bastion's history JSON.
 *
 * They are protobufjs's `ext/protojson` over the descriptors of `@temporalio/proto`, and
 * protojson checks `type instanceof Type`. In this install npm nests a copy of protobufjs
 * 8.8.1 under `@temporalio/common` and another under `@temporalio/proto` (the hoisted one
 * is 7.x, for `@grpc/proto-loader`), so called as installed both functions throw
 * `TypeError: type must be a Type` for every history, with or without updates; so does the
 * official `Worker.runReplayHistory` given a history as JSON. `officialHistoryJson()`
 * points `@temporalio/common`'s protojson at the functions of the copy `@temporalio/proto`
 * uses (its exports object is shared, so this holds for `@temporalio/worker` too, loaded
 * before or after): they then run as in an install where npm deduplicated protobufjs. The
 * official functions themselves are unchanged.
 */
import * as path from 'node:path';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

interface ProtoUtils {
  historyFromJSON(history: unknown): History;
  historyToJSON(history: History): string;
}

let loaded: ProtoUtils | undefined;

/** `@temporalio/common`'s proto utilities, with one copy of protobufjs under them. */
export function officialHistoryJson(): ProtoUtils {
  if (loaded) return loaded;
  const commonDir = path.dirname(require.resolve('@temporalio/common'));
  const protoDir = path.dirname(require.resolve('@temporalio/proto'));
  const theirs: object = require(require.resolve('protobufjs/ext/protojson', { paths: [commonDir] }));
  const shared: object = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] }));
  if (theirs !== shared) Object.assign(theirs, shared);
  loaded = require('@temporalio/common/lib/proto-utils') as ProtoUtils;
  return loaded;
}
