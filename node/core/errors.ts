/**
 * Typed exceptions for misuse, corruption and I/O. Expected invalid input is a Verdict (see verdict.ts),
 * never an exception. Pure: imports nothing.
 */

/** Closed set of error codes; callers switch on `code`, never on message text. */
export type ErrorCode =
  | 'DECODE_ERROR'
  | 'INVALID_ARGUMENT'
  | 'PROTOCOL_VIOLATION'
  | 'STORAGE_CORRUPT'
  | 'STORAGE_WRONG_GENESIS'
  | 'STORAGE_LOCKED'
  | 'NOT_FOUND'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CONFIG_ERROR'
  | 'INTERNAL';

export class NodeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NodeError';
    this.code = code;
  }
}

/** ethers-style assertion: throws a NodeError with `code` when `cond` is false. */
export function assert(cond: unknown, message: string, code: ErrorCode = 'INTERNAL'): asserts cond {
  if (!cond) throw new NodeError(code, message);
}

export function isNodeError(e: unknown, code?: ErrorCode): e is NodeError {
  return e instanceof NodeError && (code === undefined || e.code === code);
}
