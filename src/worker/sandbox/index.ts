/**
 * The host side of the workflow sandbox: the `node:vm` context (one per bundle, shared by
 * its runs, or one per run) in which a bundle from `bundleWorkflowCode` runs Bastion's
 * workflow runtime.
 *
 * ```ts
 * const sandboxes = new WorkflowSandboxes((await bundleWorkflowCode({ workflowsPath })).code, { logger });
 * const sandbox = sandboxes.create();
 * const completion = sandbox.call('activate', activation, DEFAULT_SANDBOX_CALL_TIMEOUT_MS);
 * sandbox.dispose();
 * ```
 */
export { WorkflowSandboxes, DEFAULT_BUNDLE_FILENAME } from './workflow-sandboxes';
export type { WorkflowSandboxesOptions } from './workflow-sandboxes';
export { WorkflowSandbox, DEFAULT_SANDBOX_CALL_TIMEOUT_MS } from './workflow-sandbox';
export type { SandboxLogger } from './context-globals';
