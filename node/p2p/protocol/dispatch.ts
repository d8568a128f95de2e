/**
 * Routes an established peer's messages to the handler of their family (handlers/*). Control messages
 * arrive through `immediate`, everything else through the peer's ordered queue (`queued`).
 * hello / helloProof never get here: peer.ts owns the handshake.
 */
import { ProtocolContext } from './context.js';
import { BlockHeader } from '../../core/block.js';
import { handleBlock, handleTx, screenBlockHeader } from './handlers/bodies.js';
import { handleDisconnect, handlePing, handlePong, handleReject } from './handlers/control.js';
import { handleGetBlocks } from './handlers/getblocks.js';
import { handleGetData, handleInv, handleNotFound } from './handlers/inventory.js';
import { handleGetNonces } from './handlers/nonces.js';
import { Message } from './messages.js';
import { MessageSink, Peer } from './peer.js';

export function makeMessageSink(ctx: ProtocolContext): MessageSink {
  return {
    immediate(peer: Peer, msg: Message): void {
      switch (msg.type) {
        case 'ping':
          return handlePing(peer, msg);
        case 'pong':
          return handlePong(peer, msg);
        case 'reject':
          return handleReject(peer, msg, ctx.log);
        case 'disconnect':
          return handleDisconnect(peer, msg);
        default:
          throw new Error(`message type ${msg.type} is not a control message`);
      }
    },
    screenBlockHeader(peer: Peer, header: BlockHeader): boolean {
      return screenBlockHeader(ctx, peer, header);
    },
    async queued(peer: Peer, msg: Message): Promise<void> {
      switch (msg.type) {
        case 'inv':
          return handleInv(ctx, peer, msg);
        case 'getdata':
          return handleGetData(ctx, peer, msg);
        case 'notfound':
          return handleNotFound(ctx, peer, msg);
        case 'tx':
          return handleTx(ctx, peer, msg.tx);
        case 'block':
          ctx.compact?.auditFullBlock(msg.block);
          return handleBlock(ctx, peer, msg.block);
        case 'getblocks':
          return handleGetBlocks(ctx, peer, msg);
        case 'getheaders':
          return ctx.sync.handleGetHeaders(peer, msg);
        case 'headers':
          return ctx.sync.handleHeaders(peer, msg);
        case 'getaddr':
          return ctx.addrs.handleGetAddr(peer);
        case 'addr':
          return ctx.addrs.handleAddr(peer, msg);
        case 'getnonces':
          return handleGetNonces(ctx, peer, msg);
        // ---- compact block relay (issue #9) ----
        case 'sendcmpct':
          return ctx.compact?.handleSendCmpct(peer, msg);
        case 'cmpctblock':
          return ctx.compact?.handleCmpctBlock(peer, msg);
        case 'getblocktxn':
          return ctx.compact?.handleGetBlockTxn(peer, msg);
        case 'blocktxn':
          return ctx.compact?.handleBlockTxn(peer, msg);
        default:
          throw new Error(`message type ${msg.type} cannot be handled after the handshake`);
      }
    },
  };
}
