/**
 * The `help` RPC method's text: every method with its parameters and one line saying what it does.
 * Kept beside methods.ts; a test checks the two list the same names.
 */
export interface MethodHelp {
  method: string;
  params: string;
  description: string;
}

export const METHOD_HELP: readonly MethodHelp[] = [
  { method: 'help', params: '[method?]', description: 'list the methods with their parameters, or describe one' },
  { method: 'getInfo', params: '[]', description: 'chain id, height, tip, peers, mempool size, node id, whether this node mines and the last block age' },
  { method: 'getBlock', params: '[hashOrHeight?]', description: 'a block with its transactions (the tip when omitted)' },
  { method: 'getBlockHash', params: '[height]', description: 'hash of the main-chain block at a height' },
  { method: 'getAccount', params: '[address]', description: 'balance and nonce of an address (base units), and the next nonce counting pending txs' },
  { method: 'sendTransaction', params: '[hex]', description: 'submit a signed transaction (145 bytes as hex); returns its id' },
  { method: 'getTransaction', params: '[id]', description: 'a transaction by id: pending or confirmed, with height, block hash and confirmations' },
  { method: 'getHistory', params: '[address, limit?]', description: 'confirmed transfers of an address, newest first (limit 1..1000, default 50)' },
  { method: 'getPeers', params: '[]', description: 'connected peers: node id, address, direction, latency, height' },
  { method: 'getMempool', params: '[]', description: 'pending transactions' },
  // Operator RPCs (operator-methods.ts)
  { method: 'addPeer', params: '[url]', description: 'connect to ws://host:port now; returns the peer once its handshake completed' },
  { method: 'disconnectPeer', params: '[nodeId]', description: 'close every connection to a node id (it may connect again; use setBan to keep it out)' },
  { method: 'setNetworkActive', params: '[active]', description: 'false closes every connection and refuses new ones until set true again' },
  { method: 'setBan', params: '[nodeIdOrAddress, seconds?]', description: 'ban a node id or host:port (default 24 h); 0 seconds lifts the ban' },
  { method: 'listBanned', params: '[]', description: 'current bans with their expiry and reason' },
  { method: 'clearBanned', params: '[]', description: 'lift every ban' },
  { method: 'generate', params: '[n, address?]', description: 'mine n blocks now (to address, default the miner key), like regtest generatetoaddress' },
  { method: 'getArrivals', params: '[]', description: 'first-seen times of recent blocks and txs (bounded ring), mempool removals, reorg count and depth' },
  { method: 'getLedgerSummary', params: '[]', description: 'supply, account count and a digest of every account at the tip, to compare nodes' },
  // Test-only controls: refused unless the node runs with --allow-faults
  { method: 'setMockTime', params: '[ms]', description: 'test-only (--allow-faults): set the node clock (0 = real time)' },
  { method: 'setPeerFilter', params: '[{ deny: nodeIds }]', description: 'test-only (--allow-faults): refuse these node ids in both directions (a partition)' },
  { method: 'setLinkFault', params: '[{ peer?, delayMs, jitterMs, dropPerMinute }]', description: 'test-only (--allow-faults): delay, jitter and drop messages in the transport' },
];
