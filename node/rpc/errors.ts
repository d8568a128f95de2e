/**
 * JSON-RPC error values. A rejected transaction or block carries the ledger's reason string in
 * `data.reason`, the same string that appears in logs and tests.
 */
export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;
/** Application errors (the -32000..-32099 range the spec reserves for servers). */
export const RPC_REJECTED = -32000;
export const RPC_NOT_FOUND = -32001;

export class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: { reason: string; [k: string]: unknown }) {
    super(message);
    this.name = 'RpcError';
  }
}

export function invalidParams(reason: string, message: string): RpcError {
  return new RpcError(RPC_INVALID_PARAMS, message, { reason });
}

export function notFound(reason: string, message: string): RpcError {
  return new RpcError(RPC_NOT_FOUND, message, { reason });
}
