import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { GovmailError } from '../../core/errors.js';

/**
 * The image proxy behind "show images": the server fetches a remote image so the reader's address and
 * cookies never reach the sender. It must not become a way into our own network (SSRF): every host is
 * resolved first and refused if any of its addresses is private, loopback, link-local or otherwise not
 * public; the connection then goes to exactly the address that was checked (no second DNS answer can
 * swap it — DNS rebinding), and every redirect is checked the same way. Only raster image types, at
 * most 5 MB, within 10 s. Links are signed (links.ts), so it is not an open proxy either.
 */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon']);

const NOT_PUBLIC = new net.BlockList();
for (const [net4, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(net6, bits, 'ipv6');

/** True only for a globally routable unicast address. IPv4-mapped IPv6 is judged by its IPv4 part. */
export function isPublicAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return !NOT_PUBLIC.check(ip, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isPublicAddress(mapped[1]);
  if (/^::ffff:/i.test(ip)) return false;
  return !NOT_PUBLIC.check(ip, 'ipv6');
}

export class ProxyRefused extends GovmailError {
  constructor(en: string, vi: string, status = 403) {
    super('PROXY_REFUSED', en, vi, status);
  }
}

export interface FetchImageOptions {
  /** Resolves a host to all its addresses (tests replace it). */
  resolve?: (host: string) => Promise<string[]>;
  /** Which addresses may be contacted; only tests of the non-address checks ever widen it. */
  addressAllowed?: (ip: string) => boolean;
}

const defaultResolve = async (host: string) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

async function vettedAddress(url: URL, o: FetchImageOptions): Promise<string> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProxyRefused(`only http and https images (${url.protocol})`, `chỉ tải ảnh qua http hoặc https (${url.protocol})`, 400);
  if (url.username || url.password) throw new ProxyRefused('URLs with credentials are refused', 'không tải địa chỉ có kèm thông tin đăng nhập', 400);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : await (o.resolve ?? defaultResolve)(host);
  } catch {
    throw new ProxyRefused(`cannot resolve ${host}`, `không phân giải được ${host}`, 502);
  }
  const allowed = o.addressAllowed ?? isPublicAddress;
  // Every address must be public: a name that also points inside would let DNS pick the target for us.
  if (!addresses.length || addresses.some((a) => !allowed(a))) {
    throw new ProxyRefused(`${host} is not a public Internet address`, `${host} không phải địa chỉ Internet công cộng`, 403);
  }
  return addresses[0];
}

function request(url: URL, address: string): Promise<http.IncomingMessage> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'GET',
        headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9', 'user-agent': 'GovMail image proxy' },
        // Connect to the address we checked, whatever DNS would say now; TLS still verifies the host name.
        lookup: (_host: string, opts: any, cb: any) => (opts?.all ? cb(null, [{ address, family: net.isIP(address) }]) : cb(null, address, net.isIP(address))),
        timeout: TIMEOUT_MS,
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new ProxyRefused('the image server did not answer in time', 'máy chủ ảnh không trả lời kịp', 504)));
    req.on('error', reject);
    req.end();
  });
}

/** Fetches one remote image under the rules above. */
export async function fetchRemoteImage(rawUrl: string, o: FetchImageOptions = {}): Promise<{ contentType: string; body: Buffer }> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new ProxyRefused('not a URL', 'không phải địa chỉ URL', 400);
  }
  const deadline = Date.now() + TIMEOUT_MS;
  for (let hop = 0; ; hop++) {
    const address = await vettedAddress(url, o);
    let res: http.IncomingMessage;
    try {
      res = await request(url, address);
    } catch (err) {
      if (err instanceof GovmailError) throw err;
      throw new ProxyRefused(`the image could not be fetched (${(err as Error).message})`, `không tải được ảnh (${(err as Error).message})`, 502);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new ProxyRefused('too many redirects', 'chuyển hướng quá nhiều lần', 502);
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new ProxyRefused(`the image server answered ${status}`, `máy chủ ảnh trả lời ${status}`, 502);
    }
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!IMAGE_TYPES.has(contentType)) {
      res.destroy();
      throw new ProxyRefused(`not an image we show (${contentType || 'no type'})`, `không phải ảnh được phép hiển thị (${contentType || 'không rõ loại'})`, 415);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_IMAGE_BYTES) {
      res.destroy();
      throw new ProxyRefused(`image larger than ${MAX_IMAGE_BYTES} bytes`, `ảnh lớn hơn ${MAX_IMAGE_BYTES} byte`, 413);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > MAX_IMAGE_BYTES) {
        res.destroy();
        throw new ProxyRefused(`image larger than ${MAX_IMAGE_BYTES} bytes`, `ảnh lớn hơn ${MAX_IMAGE_BYTES} byte`, 413);
      }
      if (Date.now() > deadline) {
        res.destroy();
        throw new ProxyRefused('the image took too long', 'tải ảnh quá lâu', 504);
      }
      chunks.push(chunk as Buffer);
    }
    return { contentType, body: Buffer.concat(chunks, size) };
  }
}
