/**
 * Names shared with @temporalio/interceptors-opentelemetry 1.24, so spans and headers of
 * both SDKs join one trace: the header that carries the W3C trace context, span names
 * (`StartWorkflow:<type>`, `RunWorkflow:<type>`, `StartActivity:<type>`,
 * `RunActivity:<type>`, …) and attribute keys. No imports: workflow code loads this too.
 */

/** The header (a `json/plain` payload of the propagator's text map) that carries the trace context. */
export const TRACE_HEADER = '_tracer-data';
/** Attribute: the workflow run id. */
export const RUN_ID_ATTR_KEY = 'run_id';
/** Attribute: the workflow id. */
export const WORKFLOW_ID_ATTR_KEY = 'temporalWorkflowId';
/** Attribute: the activity id. */
export const ACTIVITY_ID_ATTR_KEY = 'temporalActivityId';
/** Attribute: the reason given to terminate a workflow. */
export const TERMINATE_REASON_ATTR_KEY = 'temporalTerminateReason';

/** Span names, as the official package spells them; most take `:<name>` after them. */
export const SpanName = Object.freeze({
  WORKFLOW_START: 'StartWorkflow',
  WORKFLOW_SIGNAL: 'SignalWorkflow',
  WORKFLOW_SIGNAL_WITH_START: 'SignalWithStartWorkflow',
  WORKFLOW_QUERY: 'QueryWorkflow',
  WORKFLOW_HANDLE_SIGNAL: 'HandleSignal',
  WORKFLOW_HANDLE_QUERY: 'HandleQuery',
  WORKFLOW_TERMINATE: 'TerminateWorkflow',
  WORKFLOW_CANCEL: 'CancelWorkflow',
  WORKFLOW_DESCRIBE: 'DescribeWorkflow',
  WORKFLOW_EXECUTE: 'RunWorkflow',
  CHILD_WORKFLOW_START: 'StartChildWorkflow',
  ACTIVITY_START: 'StartActivity',
  ACTIVITY_EXECUTE: 'RunActivity',
  CONTINUE_AS_NEW: 'ContinueAsNew',
} as const);

/** Between a span name and the workflow, activity, signal or query name. */
export const SPAN_DELIMITER = ':';
