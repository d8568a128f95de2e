/**
 * Control messages: ping / pong (liveness and latency), reject (informational only) and disconnect
 * (the peer is leaving and says why). Handled as they arrive, outside the per-peer queue, so a peer busy
 * validating a long block batch still answers pings. Budgets were charged on arrival (budget.ts).
 */
import { printable, MessageOf } from '../messages.js';
import { Peer } from '../peer.js';

export function handlePing(peer: Peer, msg: MessageOf<'ping'>): void {
  peer.send({ type: 'pong', nonce: msg.nonce });
}

export function handlePong(peer: Peer, msg: MessageOf<'pong'>): void {
  // Pongs are answers to our own pings (one outstanding at a time); an unmatched nonce is ignored.
  peer.onPong(msg.nonce);
}

export function handleReject(peer: Peer, msg: MessageOf<'reject'>, log: { debug(o: object, m?: string): void }): void {
  // Informational by specification: logged, never acted upon.
  log.debug({ peer: peer.label, reason: printable(msg.reason) }, 'peer rejected something we sent');
}

export function handleDisconnect(peer: Peer, msg: MessageOf<'disconnect'>): void {
  peer.notePeerReason(msg.reason);
  peer.conn.close('peer-disconnected');
}
