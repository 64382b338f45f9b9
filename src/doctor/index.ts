/**
 * Connection diagnosis: what `bastion doctor` runs.
 *
 * ```ts
 * import { diagnoseConnection } from 'bastion-temporal';
 * const { ok, steps } = await diagnoseConnection({ address: 'localhost:7233', namespace: 'default' });
 * ```
 */
export { diagnoseConnection } from './diagnose';
export { DEFAULT_DOCTOR_TIMEOUT_MS, EXPIRY_WARNING_DAYS } from './types';
export type { DiagnoseOptions, Diagnosis, DoctorStep, DoctorStepName, DoctorStepStatus } from './types';
