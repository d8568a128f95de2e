/**
 * A minimal JSON-RPC 2.0 client over fetch, for tools that drive nodes (the testnet launcher, tests).
 * Throws RpcError for error replies (with data.reason) and a NodeError TIMEOUT / INTERNAL otherwise.
 */
import { NodeError } from '../core/errors.js';
import { RpcError } from './errors.js';

let nextId = 1;

/**
 * Credentials may ride in the URL (`http://__cookie__:secret@127.0.0.1:8001`, as nodes.json writes
 * for a node with an RPC cookie): they are moved to an Authorization header, which fetch requires.
 */
export async function rpcCall<T = unknown>(url: string, method: string, params: unknown[] = [], timeoutMs = 5000): Promise<T> {
  let res: Response;
  const u = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (u.username) headers.authorization = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  try {
    res = await fetch(u, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new NodeError(cause === 'TimeoutError' ? 'TIMEOUT' : 'INTERNAL', `cannot reach node at ${url} (${cause})`, { cause: e });
  }
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: { reason: string } } };
  if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data);
  return body.result as T;
}
