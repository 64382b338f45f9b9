/**
 * The failure converter of {@link encryptedDataConverter}, as a module the official SDK
 * loads by path (`DataConverter.failureConverterPath`): the official Worker requires it for
 * activities and bundles it into the workflow sandbox, the official Client requires it.
 * Failure messages and stack traces move into the encoded attributes payload, which the
 * payload codecs then encrypt — what Bastion's own worker does with an encrypting codec.
 *
 * It imports `@temporalio/common` (an optional peer dependency of Bastion) when the official
 * SDK loads it, never when `bastion/native` is imported.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** `DefaultFailureConverter({ encodeCommonAttributes: true })`, read by the official SDK under this name. */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
