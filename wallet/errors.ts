/**
 * The wallet's typed errors and the one table that maps them to process exit codes.
 * Imports only node/core (for NodeError). Expected failures carry a one-line message that the CLI
 * prints as `error: <message>` without a stack trace.
 *
 * Exit codes (stable; scripts may switch on them):
 *   0  success
 *   1  generic failure or usage error (commander's own usage errors also exit 1), no password available
 *   2  node unreachable (connection refused, DNS, timeout) or an unusable answer from it
 *   3  wrong password (AES-GCM tag mismatch)
 *   4  invalid input: bad address checksum, bad amount, bad hex, bad or duplicate key name
 *   5  rejected by the node (sendTransaction error other than insufficient balance)
 *   6  insufficient funds (checked locally, or the node's 'insufficient-balance' reason)
 *   7  not found: unknown transaction id, unknown key name, empty wallet
 *   8  timed out waiting for a confirmation (the transaction may still confirm later)
 *   9  the node refused access: authentication needed or wrong (--rpc-cookie), or a refused Host/Origin
 */
import { NodeError } from '../node/core/errors.js';

export type WalletErrorCode =
  | 'USAGE'
  | 'NODE_UNREACHABLE'
  | 'BAD_RESPONSE'
  | 'WRONG_PASSWORD'
  | 'KEYSTORE_CORRUPT'
  | 'INVALID_INPUT'
  | 'REJECTED'
  | 'INSUFFICIENT_FUNDS'
  | 'NOT_FOUND'
  | 'WAIT_TIMEOUT'
  | 'ACCESS_DENIED';

export const EXIT_CODES: Readonly<Record<WalletErrorCode, number>> = Object.freeze({
  USAGE: 1,
  KEYSTORE_CORRUPT: 1,
  NODE_UNREACHABLE: 2,
  BAD_RESPONSE: 2,
  WRONG_PASSWORD: 3,
  INVALID_INPUT: 4,
  REJECTED: 5,
  INSUFFICIENT_FUNDS: 6,
  NOT_FOUND: 7,
  WAIT_TIMEOUT: 8,
  ACCESS_DENIED: 9,
});

export const EXIT_GENERIC = 1;

export class WalletError extends Error {
  readonly code: WalletErrorCode;
  /** The node's stable reject reason, when the error came from the node (e.g. 'tx-fee-too-low'). */
  readonly reason?: string;
  constructor(code: WalletErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WalletError';
    this.code = code;
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}

export function isWalletError(e: unknown, code?: WalletErrorCode): e is WalletError {
  return e instanceof WalletError && (code === undefined || e.code === code);
}

/**
 * Errors whose message is meant for the user, printed as one line: wallet errors, core input errors,
 * and operating-system errors (EACCES, ENOTDIR, ENOSPC on the wallet dir), whose message names the
 * syscall and path. Anything else is a bug and keeps its stack.
 */
export function isExpectedError(e: unknown): e is Error {
  if (e instanceof WalletError) return true;
  if (e instanceof NodeError) return e.code === 'INVALID_ARGUMENT' || e.code === 'DECODE_ERROR';
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** The exit code for any thrown value. Core INVALID_ARGUMENT / DECODE_ERROR (addresses, amounts, hex) are invalid input. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof WalletError) return EXIT_CODES[e.code];
  if (e instanceof NodeError && (e.code === 'INVALID_ARGUMENT' || e.code === 'DECODE_ERROR')) return EXIT_CODES.INVALID_INPUT;
  return EXIT_GENERIC;
}
