import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

/**
 * A small authoritative DNS server on loopback UDP for the tests of SPF, DKIM and DMARC: the code under
 * test resolves through node's real resolver (c-ares) pointed at it, exactly as it would at a
 * province's resolver. Unknown names answer NXDOMAIN; known names without the asked type, NODATA.
 */
export type Zone = Record<string, { TXT?: string[]; A?: string[]; MX?: Array<{ exchange: string; preference: number }> }>;

export interface DnsServer {
  /** "127.0.0.1:port", for Resolver.setServers and GOVMAIL_DNS_SERVERS. */
  address: string;
  zone: Zone;
  queries: number;
  close(): Promise<void>;
}

export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  const server: DnsServer = { address: '', zone, queries: 0, close: () => new Promise((r) => socket.close(() => r())) };
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    server.queries++;
    const q = query.questions?.[0];
    const name = q?.name.toLowerCase().replace(/\.$/, '') ?? '';
    const entry = server.zone[name];
    const answers: dnsPacket.Answer[] = [];
    if (entry && q) {
      if (q.type === 'TXT') for (const t of entry.TXT ?? []) answers.push({ type: 'TXT', name: q.name, ttl: 60, class: 'IN', data: chunks(t) });
      if (q.type === 'A') for (const a of entry.A ?? []) answers.push({ type: 'A', name: q.name, ttl: 60, class: 'IN', data: a });
      if (q.type === 'MX') for (const m of entry.MX ?? []) answers.push({ type: 'MX', name: q.name, ttl: 60, class: 'IN', data: m });
    }
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (entry ? 0 : 3), // rcode 3: NXDOMAIN
      questions: query.questions,
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  server.address = `127.0.0.1:${socket.address().port}`;
  return server;
}

/** TXT strings are at most 255 bytes each; a DKIM key is longer and is published as several. */
function chunks(text: string): Buffer[] {
  const b = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out.length ? out : [Buffer.alloc(0)];
}
