import { BlockList, isIP } from 'node:net';

/**
 * A predicate "is this client address in one of these networks" over CIDR blocks such as
 * 127.0.0.0/8 or 2001:db8::/32 (IPv4-mapped IPv6 addresses count as IPv4). An empty list matches nothing.
 */
export function networkMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const c of cidrs.map((x) => x.trim()).filter(Boolean)) {
    const [addr, bits] = c.split('/');
    const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(addr!, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
  }
  return (ip) => {
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
    const a = v4 ?? ip;
    const type = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    return isIP(a) !== 0 && list.check(a, type);
  };
}
