/**
 * Address exchange: getaddr / addr, and advertising a peer's listening address. Peers learn each other
 * this way, so a node needs the seeds only to get started.
 *   - getaddr is answered at most once per peer per refresh interval, with a random sample of the
 *     address book (AddrBook.sample: no banned entries, no stale unverified junk);
 *   - an addr we asked for (one per getaddr we sent) is taken whole; unsolicited addr entries draw on a
 *     per-peer token bucket (PEER_RATE_LIMITS.addr) and the excess is ignored without penalty, as in
 *     Core; the AddrBook further caps what one source may hold, so 10,000 addresses from one peer cannot
 *     fill the table;
 *   - small unsolicited addr messages (a node announcing itself or a new neighbour) are relayed on to
 *     ADDR_RELAY_FANOUT other peers, only for entries that were new to us, so a relay ends;
 *   - an inbound peer's claimed address (remote host + hello.listenPort) is recorded by the peer manager
 *     as a new, unverified entry (only our own dial verifies it) and relayed through `advertise`;
 *   - only addresses the receiving peer could dial are sent to it (net-address.ts canReach: never a
 *     loopback address to a remote peer), and entries count against the sender's source netgroup too.
 */
import { AddrBook } from '../../peers/addr-book.js';
import { type AddressClass, addressClass, canReach, netgroup } from '../../peers/net-address.js';
import { fromHex, toHex } from '../../../core/bytes.js';
import { Log } from '../../../log.js';
import { MAX_ADDR, MessageOf, WireAddr } from '../messages.js';
import { Peer } from '../peer.js';

/** Entries in one getaddr answer (AddrBook.sample bounds it too). */
export const GETADDR_REPLY_MAX = MAX_ADDR;
/** Peers an unsolicited new address is passed on to (Core relays to 2). */
export const ADDR_RELAY_FANOUT = 2;
/** Only addr messages this small are relayed: self-announcements, not getaddr answers. */
export const ADDR_RELAY_MAX_ENTRIES = 10;

export interface AddrExchangeOptions {
  book: AddrBook;
  /** The established peers. */
  peers: () => Peer[];
  clock: () => number;
  random: () => number;
  refreshIntervalMs: number;
  log: Log;
  /** New addresses were learnt: a chance to dial. */
  onLearned: () => void;
}

export class AddrExchange {
  constructor(private readonly o: AddrExchangeOptions) {}

  /** Asks `peer` for addresses; its next addr is taken whole. */
  request(peer: Peer): void {
    peer.addrRequested = true;
    peer.send({ type: 'getaddr' });
  }

  handleGetAddr(peer: Peer): void {
    const now = this.o.clock();
    if (now - peer.lastGetaddrAnswer < this.o.refreshIntervalMs) return; // at most one answer per interval
    peer.lastGetaddrAnswer = now;
    const addrs: WireAddr[] = [];
    const to = classOf(peer);
    for (const e of this.o.book.sample(GETADDR_REPLY_MAX, now)) {
      if (e.nodeId === undefined || e.nodeId === peer.nodeIdHex || !isReachableFor(to, e.host)) continue;
      addrs.push({ host: e.host, port: e.port, nodeId: fromHex(e.nodeId), lastSeen: e.lastSeen });
    }
    peer.send({ type: 'addr', addrs });
  }

  handleAddr(peer: Peer, msg: MessageOf<'addr'>): void {
    const solicited = peer.addrRequested;
    peer.addrRequested = false;
    const source = peer.nodeIdHex!;
    const fresh: WireAddr[] = [];
    let ignored = 0;
    for (const a of msg.addrs) {
      if (!solicited && !peer.limits.take('addr')) {
        ignored++;
        continue;
      }
      const r = this.o.book.add({ host: a.host, port: a.port, nodeId: toHex(a.nodeId) }, source, a.lastSeen, netgroup(peer.host));
      if (r.ok && r.isNew) fresh.push(a);
    }
    if (ignored > 0) this.o.log.debug({ peer: peer.label, ignored, of: msg.addrs.length }, 'addr over budget; entries ignored');
    if (fresh.length === 0) return;
    this.o.onLearned();
    if (!solicited && msg.addrs.length <= ADDR_RELAY_MAX_ENTRIES) this.relay(fresh, peer);
  }

  /** Passes a peer's claimed listening address on to a few other peers. */
  advertise(addr: WireAddr, from: Peer): void {
    this.relay([addr], from);
  }

  /** A new address was recorded outside an addr message (an inbound peer's listening address). */
  onLearnedAddress(): void {
    this.o.onLearned();
  }

  /** Tells `peer` where we can be dialled (our external or adopted address), if it could dial that. */
  announceSelf(peer: Peer, self: WireAddr): void {
    if (isReachableFor(classOf(peer), self.host)) peer.send({ type: 'addr', addrs: [self] });
  }

  private relay(addrs: WireAddr[], from: Peer): void {
    const others = this.o.peers().filter((p) => p !== from && p.nodeIdHex !== undefined);
    for (let i = 0; i < ADDR_RELAY_FANOUT && others.length > 0; i++) {
      const [p] = others.splice(Math.floor(this.o.random() * others.length), 1);
      // Never tell a node its own address, nor one it could not dial (a loopback address to a remote node).
      const to = classOf(p!);
      const list = addrs.filter((a) => toHex(a.nodeId) !== p!.nodeIdHex && isReachableFor(to, a.host));
      if (list.length > 0) p!.send({ type: 'addr', addrs: list });
    }
  }
}

/** The class of the address we see `peer` at (a peer we cannot classify is treated as public: the strictest). */
function classOf(peer: Peer): AddressClass {
  return addressClass(peer.host) ?? 'public';
}

/** Whether a peer of class `to` could dial `host`: relay only addresses the receiver could use (protocol.md "Addresses"). */
function isReachableFor(to: AddressClass, host: string): boolean {
  const cls = addressClass(host);
  return cls !== undefined && canReach(to, cls);
}
