import type { Address, RenderedMessage } from '../api';
import { addressList, fullAddresses } from '../addresses';
import { formatDate, type Lang, type Strings } from '../i18n';
import type { ComposeInit } from './types';
import { htmlText } from './htmlText';

/** The text of a received message. DOMParser builds an inert document: nothing in it loads or runs. */
export function messageText(m: RenderedMessage): string {
  if (m.text?.trim()) return m.text.replace(/\r\n/g, '\n').trimEnd();
  return htmlText(new DOMParser().parseFromString(m.html, 'text/html').body).replace(/\n{3,}/g, '\n\n');
}

const hasPrefix = (subject: string, prefixes: RegExp) => prefixes.test(subject.trim());
export function replySubject(subject: string): string {
  return hasPrefix(subject, /^(re|tl|trả lời)\s*:/i) ? subject : `Re: ${subject}`;
}
export function forwardSubject(subject: string): string {
  return hasPrefix(subject, /^(fwd?|tt|chuyển tiếp)\s*:/i) ? subject : `Fwd: ${subject}`;
}

function without(list: Address[], own: string[]): Address[] {
  const seen = new Set(own.map((a) => a.toLowerCase()));
  return list.filter((a) => {
    const key = a.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface ComposeStart {
  to: Address[];
  cc: Address[];
  subject: string;
  /** Text above which the user writes (the quote or the forwarded message), without the signature. */
  quoteIntro: string;
  quoted: string;
  /** Whether `quoted` is cited with `>` (replies) or included as is (forwards). */
  cite: boolean;
  inReplyTo?: string;
  references?: string[];
  draftUid?: number;
  body?: string;
}

function references(m: RenderedMessage): string[] {
  const refs = Array.isArray(m.references) ? m.references : (m.references ?? '').split(/\s+/).filter(Boolean);
  return m.messageId ? [...refs, m.messageId] : refs;
}

/** Recipients, subject, threading headers and quote for a new message, a reply, a reply-all or a forward. */
export function composeStart(init: ComposeInit, ownAddresses: string[], t: Strings, lang: Lang): ComposeStart {
  const m = init.source;
  const blank: ComposeStart = { to: (init.to ?? []).map((address) => ({ address })), cc: [], subject: '', quoteIntro: '', quoted: '', cite: false };
  if (!m) return blank;
  if (init.mode === 'draft') {
    return { ...blank, to: addressList(m.to), cc: addressList(m.cc), subject: m.subject, body: messageText(m), draftUid: m.uid };
  }
  const sender = addressList(m.replyTo).length ? addressList(m.replyTo) : addressList(m.from);
  const when = formatDate(m.date, lang, true);
  if (init.mode === 'forward') {
    const head = [t.forwardedHeader, `${t.from}: ${fullAddresses(m.from)}`, `${t.date}: ${when}`, `${t.subject}: ${m.subject}`, `${t.to}: ${fullAddresses(m.to)}`];
    if (addressList(m.cc).length) head.push(`${t.cc}: ${fullAddresses(m.cc)}`);
    return { ...blank, subject: forwardSubject(m.subject), quoteIntro: head.join('\n'), quoted: messageText(m), cite: false };
  }
  const to = init.mode === 'replyAll' ? without([...sender, ...addressList(m.to)], ownAddresses) : sender;
  const cc = init.mode === 'replyAll' ? without(addressList(m.cc), [...ownAddresses, ...to.map((a) => a.address)]) : [];
  return {
    ...blank,
    to: to.length ? to : sender,
    cc,
    subject: replySubject(m.subject),
    quoteIntro: t.wrote(when, fullAddresses(m.from)),
    quoted: messageText(m),
    cite: true,
    inReplyTo: m.messageId ?? undefined,
    references: references(m),
  };
}

/** The quote as plain text: `> ` before every cited line. */
export function plainQuote(start: ComposeStart): string {
  if (!start.quoteIntro) return '';
  const body = start.cite ? start.quoted.split('\n').map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`)).join('\n') : start.quoted;
  return `${start.quoteIntro}\n${body}`;
}
