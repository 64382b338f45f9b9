/**
 * The failure enums as the official SDK exposes them (short string names), with converters
 * to and from the proto numbers. Proto enums themselves cannot be imported here: that
 * would pull the whole proto package into the workflow sandbox.
 */

/** Which timeout fired. */
export const TimeoutType = {
  START_TO_CLOSE: 'START_TO_CLOSE',
  SCHEDULE_TO_START: 'SCHEDULE_TO_START',
  SCHEDULE_TO_CLOSE: 'SCHEDULE_TO_CLOSE',
  HEARTBEAT: 'HEARTBEAT',
} as const;
export type TimeoutType = (typeof TimeoutType)[keyof typeof TimeoutType];

/** Why an activity or child workflow stopped being retried. */
export const RetryState = {
  IN_PROGRESS: 'IN_PROGRESS',
  NON_RETRYABLE_FAILURE: 'NON_RETRYABLE_FAILURE',
  TIMEOUT: 'TIMEOUT',
  MAXIMUM_ATTEMPTS_REACHED: 'MAXIMUM_ATTEMPTS_REACHED',
  RETRY_POLICY_NOT_SET: 'RETRY_POLICY_NOT_SET',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  CANCEL_REQUESTED: 'CANCEL_REQUESTED',
} as const;
export type RetryState = (typeof RetryState)[keyof typeof RetryState];

/** Severity of an application failure; `BENIGN` ones are logged at debug level and not counted in metrics. */
export const ApplicationFailureCategory = {
  BENIGN: 'BENIGN',
} as const;
export type ApplicationFailureCategory = (typeof ApplicationFailureCategory)[keyof typeof ApplicationFailureCategory];

interface EnumConverter<T extends string> {
  /** Proto number of a short or full name, or a number passed through; `undefined` for none. */
  encode(value: T | string | number | null | undefined): number | undefined;
  /** Short name of a proto number or name; `undefined` for unspecified; `unknown_<n>` for numbers this version does not know. */
  decode(value: number | string | null | undefined): T | undefined;
}

function enumConverter<T extends string>(numbers: Record<T, number>, prefix: string): EnumConverter<T> {
  const names = new Map<number, T>(Object.entries(numbers).map(([k, v]) => [v as number, k as T]));
  const shorten = (s: string) => (s.startsWith(prefix) ? s.slice(prefix.length) : s);
  return {
    encode(value) {
      if (value == null) return undefined;
      if (typeof value === 'number') return value;
      const short = shorten(value);
      if (short === 'UNSPECIFIED') return 0;
      if (Object.prototype.hasOwnProperty.call(numbers, short)) return numbers[short as T];
      throw new TypeError(`Invalid enum value ${JSON.stringify(value)}; expected one of ${Object.keys(numbers).join(', ')}.`);
    },
    decode(value) {
      if (value == null) return undefined;
      if (typeof value === 'string') {
        // Proto JSON spells enums by their full name, e.g. `TIMEOUT_TYPE_START_TO_CLOSE`.
        const short = shorten(value);
        if (short === 'UNSPECIFIED') return undefined;
        return Object.prototype.hasOwnProperty.call(numbers, short) ? (short as T) : (`unknown_${value}` as T);
      }
      if (value === 0) return undefined;
      return names.get(value) ?? (`unknown_${value}` as T);
    },
  };
}

export const timeoutTypeEnum = enumConverter<TimeoutType>({ START_TO_CLOSE: 1, SCHEDULE_TO_START: 2, SCHEDULE_TO_CLOSE: 3, HEARTBEAT: 4 }, 'TIMEOUT_TYPE_');

export const retryStateEnum = enumConverter<RetryState>(
  {
    IN_PROGRESS: 1,
    NON_RETRYABLE_FAILURE: 2,
    TIMEOUT: 3,
    MAXIMUM_ATTEMPTS_REACHED: 4,
    RETRY_POLICY_NOT_SET: 5,
    INTERNAL_SERVER_ERROR: 6,
    CANCEL_REQUESTED: 7,
  },
  'RETRY_STATE_',
);

export const applicationFailureCategoryEnum = enumConverter<ApplicationFailureCategory>({ BENIGN: 1 }, 'APPLICATION_ERROR_CATEGORY_');
