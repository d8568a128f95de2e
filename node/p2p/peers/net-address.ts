/**
 * IP addresses as the peer layer sees them: parsing to one canonical form, address classes (who can dial
 * what) and netgroups (which addresses one operator plausibly controls together), after Bitcoin Core's
 * CNetAddr / GetGroup. docs/protocol.md ("Addresses") states the same rules.
 *
 *   - class `loopback`: 127.0.0.0/8, ::1, `localhost`; dialable only from the same machine;
 *   - class `private`: RFC 1918, 100.64/10 (CGNAT), 169.254/16, 198.18.0.0/15 (benchmark nets), fc00::/7,
 *     fe80::/10; dialable from loopback or private peers (the same site);
 *   - class `public`: every other unicast address; dialable by anyone;
 *   - `0.0.0.0/8`, multicast, broadcast, 240/4 and `::` are no address at all (refused).
 * Netgroup: IPv4 /16, IPv6 /32, and each loopback IP its own group (a local testnet is many hosts on one
 * machine). DNS names are accepted only where an operator wrote them (seeds, --connect), never from gossip.
 *
 * PURE: no I/O, no node:net; imports nothing.
 */

export type AddressClass = 'loopback' | 'private' | 'public';

/** Canonical text of an IP address, or undefined when `host` is not one. IPv4-mapped IPv6 becomes dotted IPv4. */
export function canonicalIp(host: string): string | undefined {
  const b = parseIp(host);
  return b === undefined ? undefined : formatIp(b);
}

/** 16 bytes (IPv4 as ::ffff:a.b.c.d), or undefined. Accepts only canonical dotted IPv4 (no leading zeros). */
export function parseIp(host: string): Uint8Array | undefined {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const v4 = parseIpv4(h);
  if (v4) return mapped(v4);
  if (!h.includes(':')) return undefined;
  let head = h;
  let tail: number[] = [];
  const lastColon = h.lastIndexOf(':');
  const maybe4 = parseIpv4(h.slice(lastColon + 1));
  if (maybe4) {
    head = h.slice(0, lastColon + 1) + '0:0';
    tail = maybe4;
  }
  const parts = head.split('::');
  if (parts.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(parts[0]!);
  const right = parts.length === 2 ? groups(parts[1]!) : [];
  const total = left.length + right.length;
  if ((parts.length === 1 && total !== 8) || (parts.length === 2 && total > 7)) return undefined;
  const words: number[] = [];
  for (const g of [...left, ...Array(8 - total).fill('0'), ...right]) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    words.push(parseInt(g, 16));
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** Canonical text for 16 address bytes: dotted IPv4 for mapped addresses, else RFC 5952 IPv6. */
export function formatIp(b: Uint8Array): string {
  if (isMapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // Longest run (>= 2) of zero words becomes "::" (first one on a tie).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * The class of an address, or undefined for something that is no dialable unicast address. `localhost` is
 * loopback; any other name is 'public' when `allowNames` (an operator-given seed), else undefined.
 */
export function addressClass(host: string, allowNames = false): AddressClass | undefined {
  if (host === 'localhost') return 'loopback';
  const b = parseIp(host);
  if (!b) return allowNames && isDnsName(host) ? 'public' : undefined;
  if (isMapped(b)) {
    const [a, c] = [b[12]!, b[13]!];
    if (a === 127) return 'loopback';
    if (a === 0 || a >= 224) return undefined;
    if (a === 10 || (a === 172 && c >= 16 && c < 32) || (a === 192 && c === 168)) return 'private';
    if ((a === 100 && c >= 64 && c < 128) || (a === 169 && c === 254) || (a === 198 && (c === 18 || c === 19))) return 'private';
    return 'public';
  }
  if (b.every((x, i) => x === (i === 15 ? 1 : 0))) return 'loopback';
  if (b.every((x) => x === 0) || b[0] === 0xff) return undefined;
  if ((b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80)) return 'private';
  return 'public';
}

/** Whether a peer reached at an address of class `peer` could dial an address of class `target`. */
export function canReach(peer: AddressClass, target: AddressClass): boolean {
  if (target === 'public') return true;
  if (target === 'private') return peer !== 'public';
  return peer === 'loopback';
}

/** Netgroup key: "4:a.b" (IPv4 /16), "6:xxxx:xxxx" (IPv6 /32), "lo:<ip>" (each loopback IP alone), "name:<host>". */
export function netgroup(host: string): string {
  const cls = addressClass(host, true);
  const b = parseIp(host);
  if (cls === 'loopback' || !b) return `${cls === 'loopback' ? 'lo' : 'name'}:${b ? formatIp(b) : host}`;
  if (isMapped(b)) return `4:${b[12]}.${b[13]}`;
  return `6:${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
}

/** RFC 1123 host name (letters, digits, hyphens; dot-separated labels), not an IP literal. */
export function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253 || /^[0-9.]+$/.test(host)) return false;
  return host.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

function parseIpv4(s: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1);
  if (!o.every((x) => Number(x) <= 255 && (x === '0' || !x.startsWith('0')))) return undefined;
  return o.map(Number);
}

function mapped(v4: number[]): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
