/** Moved to src/common/redact.ts; re-exported here so existing imports keep working. */
export { describeCause, redact } from '../common/redact';
