/**
 * The `ws` classes, loaded as CommonJS. Importing `ws` as ESM (its wrapper.mjs, which imports eight
 * CommonJS files through Node's ESM loader) leaves an idle node 2.5-5 MB more resident memory than
 * `require` does (measured on Node 20; issue #9: idle RSS <= 70 MB). Same classes, same types.
 */
import { createRequire } from 'node:module';
import type * as WsTypes from 'ws';

const ws = createRequire(import.meta.url)('ws') as typeof WsTypes;

export const WebSocket = ws.WebSocket;
export type WebSocket = WsTypes.WebSocket;
export const WebSocketServer = ws.WebSocketServer;
export type WebSocketServer = WsTypes.WebSocketServer;
