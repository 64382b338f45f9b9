/**
 * The converter's own errors. Both are {@link ConverterError}s (area `converter`) with a
 * fixed code, so `instanceof` works across realms like every other Bastion error.
 */
import { BastionError, ConverterError } from '../common/errors';

/**
 * A value could not be turned into a payload, or a payload back into a value.
 * `code` is always `ERR_PAYLOAD_CONVERTER`; the message names the encoding involved.
 */
export class PayloadConverterError extends ConverterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAYLOAD_CONVERTER', message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return BastionError[Symbol.hasInstance](value) && (value as { code?: unknown }).code === 'ERR_PAYLOAD_CONVERTER';
  }
}

/**
 * A failure could not be turned into an error because a field its kind requires is missing.
 * `code` is always `ERR_FAILURE_CONVERTER`; the message names the field.
 */
export class FailureConverterError extends ConverterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_FAILURE_CONVERTER', message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return BastionError[Symbol.hasInstance](value) && (value as { code?: unknown }).code === 'ERR_FAILURE_CONVERTER';
  }
}

/**
 * How a value is named in an error message, with its article: its type, never its content
 * (it may be secret). E.g. `a function named \`charge\``, `an object of class Order`.
 */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return value.name ? `a function named \`${value.name}\`` : 'an anonymous function';
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: unknown } }).constructor;
    return typeof ctor?.name === 'string' && ctor.name !== '' && ctor.name !== 'Object' ? `an object of class ${ctor.name}` : 'an object';
  }
  return typeof value === 'bigint' ? 'a BigInt' : `a ${typeof value}`;
}
