import type { Address } from './api';

type AddressField = Address | Address[] | string | null | undefined;

/** One list of `{ name, address }` whatever shape the server sent (an object, a list, or a header string). */
export function addressList(field: AddressField): Address[] {
  if (!field) return [];
  if (Array.isArray(field)) return field.flatMap((a) => addressList(a));
  if (typeof field === 'object') return field.address ? [{ name: field.name?.trim() || undefined, address: field.address }] : [];
  return splitAddresses(field).map(parseAddress).filter((a): a is Address => a !== null);
}

/** `Name <address>` → `{ name, address }`; a bare address works too. */
export function parseAddress(text: string): Address | null {
  const s = text.trim();
  const angled = /^(.*)<([^<>\s]+@[^<>\s]+)>$/.exec(s);
  if (angled) return { name: angled[1].trim().replace(/^"|"$/g, '') || undefined, address: angled[2] };
  return /^[^\s@<>]+@[^\s@<>]+$/.test(s) ? { address: s } : null;
}

/** Splits a header value at commas that are not inside quotes or angle brackets. */
export function splitAddresses(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === '<') angled = true;
    if (ch === '>') angled = false;
    if ((ch === ',' || ch === ';') && !quoted && !angled) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

export function isAddress(text: string): boolean {
  return /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/.test(text.trim());
}

/** The name when there is one, else the address (for the message list). */
export function shortName(field: AddressField): string {
  return addressList(field)
    .map((a) => a.name || a.address)
    .join(', ');
}

/** `Name <address>` for every entry: the real address is always shown next to the display name. */
export function fullAddresses(field: AddressField): string {
  return addressList(field)
    .map((a) => (a.name ? `${a.name} <${a.address}>` : a.address))
    .join(', ');
}

/** Lower-case, without Vietnamese diacritics, for matching that does not care about accents. */
export function foldDiacritics(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}
