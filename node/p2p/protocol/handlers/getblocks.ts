/**
 * getblocks: a peer asks for the block hashes after its fork point with our main chain. The answer (an
 * inv of at most 500 hashes) is built by sync.ts, which also owns the requesting side.
 */
import { ProtocolContext } from '../context.js';
import { MessageOf } from '../messages.js';
import { Peer } from '../peer.js';

export function handleGetBlocks(ctx: ProtocolContext, peer: Peer, msg: MessageOf<'getblocks'>): void {
  ctx.sync.handleGetBlocks(peer, msg);
}
