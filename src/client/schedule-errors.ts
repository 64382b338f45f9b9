/** The typed errors of `client.schedule`, named as in `@temporalio/client`. */
import { ClientError } from '../common/errors';

/** A schedule with this id already exists. */
export class ScheduleAlreadyRunning extends ClientError {
  constructor(
    message: string,
    readonly scheduleId: string,
  ) {
    super('ERR_CLIENT_SCHEDULE_ALREADY_RUNNING', message);
  }
}

/** No schedule with this id exists. */
export class ScheduleNotFoundError extends ClientError {
  constructor(
    message: string,
    readonly scheduleId: string,
  ) {
    super('ERR_CLIENT_SCHEDULE_NOT_FOUND', message);
  }
}
