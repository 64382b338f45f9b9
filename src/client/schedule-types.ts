/** The shapes of `client.schedule`, named and shaped as in `@temporalio/client`'s schedule types. */
import type { Duration } from '../common/duration';
import type { Workflow } from '../common/definitions';
import type { TemporalTypes } from '../common/proto';
import type { RetryPolicy } from './client';

export const ScheduleOverlapPolicy = {
  SKIP: 'SKIP',
  BUFFER_ONE: 'BUFFER_ONE',
  BUFFER_ALL: 'BUFFER_ALL',
  CANCEL_OTHER: 'CANCEL_OTHER',
  TERMINATE_OTHER: 'TERMINATE_OTHER',
  ALLOW_ALL: 'ALLOW_ALL',
  UNSPECIFIED: undefined,
} as const;
export type ScheduleOverlapPolicy = (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];

export const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;
export type Month = (typeof MONTHS)[number];
export const DAYS_OF_WEEK = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

export interface Range<Unit> {
  start: Unit;
  end: Unit;
  step: number;
}
export type LooseRange<Unit> = Range<Unit> | { start: Unit; end?: Unit; step?: never } | Unit;

export interface CalendarSpec {
  second?: LooseRange<number> | LooseRange<number>[] | '*';
  minute?: LooseRange<number> | LooseRange<number>[] | '*';
  hour?: LooseRange<number> | LooseRange<number>[] | '*';
  dayOfMonth?: LooseRange<number> | LooseRange<number>[] | '*';
  month?: LooseRange<Month> | LooseRange<Month>[] | '*';
  year?: LooseRange<number> | LooseRange<number>[] | '*';
  dayOfWeek?: LooseRange<DayOfWeek> | LooseRange<DayOfWeek>[] | '*';
  comment?: string;
}

export interface CalendarSpecDescription {
  second: Range<number>[];
  minute: Range<number>[];
  hour: Range<number>[];
  dayOfMonth: Range<number>[];
  month: Range<Month>[];
  year: Range<number>[];
  dayOfWeek: Range<DayOfWeek>[];
  comment?: string;
}

export interface IntervalSpec {
  every: Duration;
  offset?: Duration;
}

export interface ScheduleSpec {
  calendars?: CalendarSpec[];
  intervals?: IntervalSpec[];
  cronExpressions?: string[];
  skip?: CalendarSpec[];
  startAt?: Date;
  endAt?: Date;
  jitter?: Duration;
  /** IANA time zone name of calendar specs. @default 'UTC' */
  timezone?: string;
}

export interface ScheduleSpecDescription {
  calendars?: CalendarSpecDescription[];
  intervals?: Array<{ every: number; offset: number }>;
  skip?: CalendarSpecDescription[];
  startAt?: Date;
  endAt?: Date;
  jitter?: number;
  timezone?: string;
}

export interface ScheduleOptionsStartWorkflowAction<W extends Workflow = Workflow> {
  type: 'startWorkflow';
  workflowType: string | W;
  taskQueue: string;
  /** @default `${scheduleId}-workflow` */
  workflowId?: string;
  args?: unknown[];
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
  retry?: RetryPolicy;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
}
export type ScheduleOptionsAction = ScheduleOptionsStartWorkflowAction;

export interface Backfill {
  start: Date;
  end: Date;
  overlap?: ScheduleOverlapPolicy;
}

export interface ScheduleOptions<A extends ScheduleOptionsAction = ScheduleOptionsAction> {
  scheduleId: string;
  spec: ScheduleSpec;
  action: A;
  policies?: { overlap?: ScheduleOverlapPolicy; catchupWindow?: Duration; pauseOnFailure?: boolean };
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
  state?: { paused?: boolean; note?: string; remainingActions?: number; triggerImmediately?: boolean; backfill?: Backfill[] };
}

export type ScheduleUpdateOptions<A extends ScheduleOptionsAction = ScheduleOptionsAction> = Omit<ScheduleOptions<A>, 'scheduleId' | 'memo' | 'state'> & {
  state?: { paused?: boolean; note?: string; remainingActions?: number };
};

export interface ScheduleExecutionStartWorkflowActionResult {
  type: 'startWorkflow';
  workflow: { workflowId: string; firstExecutionRunId: string };
}

export interface ScheduleExecutionResult {
  scheduledAt: Date;
  takenAt: Date;
  action: ScheduleExecutionStartWorkflowActionResult;
}

export type ScheduleDescriptionAction = Required<Pick<ScheduleOptionsStartWorkflowAction, 'type' | 'taskQueue' | 'workflowId' | 'args'>> &
  Omit<ScheduleOptionsStartWorkflowAction, 'workflowType'> & { workflowType: string };

export interface ScheduleDescription {
  scheduleId: string;
  spec: ScheduleSpecDescription;
  action: ScheduleDescriptionAction;
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean };
  memo?: Record<string, unknown>;
  searchAttributes: Record<string, unknown[]>;
  state: { paused: boolean; note?: string; remainingActions?: number };
  info: {
    recentActions: ScheduleExecutionResult[];
    nextActionTimes: Date[];
    numActionsTaken: number;
    numActionsMissedCatchupWindow: number;
    numActionsSkippedOverlap: number;
    createdAt: Date;
    lastUpdatedAt: Date | undefined;
    runningActions: ScheduleExecutionStartWorkflowActionResult[];
  };
  raw: TemporalTypes.api.workflowservice.v1.IDescribeScheduleResponse;
}

export interface ScheduleSummary {
  scheduleId: string;
  spec?: ScheduleSpecDescription;
  action?: { type: 'startWorkflow'; workflowType: string };
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
  state: { paused: boolean; note?: string };
  info: { recentActions: ScheduleExecutionResult[]; nextActionTimes: Date[] };
}

export interface ScheduleListOptions {
  /** Page size of each ListSchedules call. @default the server's (1000 on the dev server) */
  pageSize?: number;
  query?: string;
}
