// What the end-entity certificate may be used for (extendedKeyUsage and keyUsage), the way OpenSSL's
// -purpose checks it: the leaf must carry one of the purpose's key purposes (or no EKU at all) and,
// when keyUsage is present, one of its bits; a CA certificate above it that has an EKU must include
// one of the purpose's key purposes too. anyExtendedKeyUsage does not stand in for a named purpose
// (OpenSSL rejects it as well; RFC 5280 §4.2.1.12 allows either).
import { custom, type Label } from './messages.js';
import type { CertInfo } from './model.js';
import type { Failure, Purpose } from './types.js';

const KU_BITS = { digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, keyAgreement: 4 } as const;

interface Rule {
  title: Label;
  eku: string[];
  keyUsage: number[];
}

export const PURPOSE_RULES: Record<Exclude<Purpose, 'any'>, Rule> = {
  smime: {
    title: { en: 'S/MIME signing', vi: 'ký thư điện tử S/MIME' },
    eku: ['1.3.6.1.5.5.7.3.4'],
    keyUsage: [KU_BITS.digitalSignature, KU_BITS.nonRepudiation],
  },
  // Documents (PDF, .p7s): the RFC 9336 document-signing purpose, or emailProtection, which the
  // certificates of Vietnamese CAs (and our own individual/organisation profiles) carry for signing;
  // the Microsoft and Adobe document-signing purposes that EU DSS users meet as well.
  document: {
    title: { en: 'document signing', vi: 'ký văn bản điện tử' },
    eku: ['1.3.6.1.5.5.7.3.36', '1.3.6.1.5.5.7.3.4', '1.3.6.1.4.1.311.10.3.12', '1.2.840.113583.1.1.5'],
    keyUsage: [KU_BITS.nonRepudiation, KU_BITS.digitalSignature],
  },
  tls: {
    title: { en: 'TLS', vi: 'TLS' },
    eku: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
    keyUsage: [KU_BITS.digitalSignature, KU_BITS.keyEncipherment, KU_BITS.keyAgreement],
  },
};

export function isPurpose(s: string): s is Purpose {
  return s === 'any' || s in PURPOSE_RULES;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** path: leaf first, anchor last; labels names each position. */
export function purposeFailure(path: CertInfo[], purpose: Purpose, label: (pos: number) => Label): Failure | undefined {
  if (purpose === 'any') return undefined;
  const rule = PURPOSE_RULES[purpose];
  // The trust anchor is trusted for what the operator trusts it for: OpenSSL does not check it either.
  for (let pos = 0; pos < Math.max(1, path.length - 1); pos++) {
    const c = path[pos]!;
    const l = label(pos);
    if (c.eku && !c.eku.some((k) => rule.eku.includes(k)))
      return custom(
        'PURPOSE',
        `${cap(l.en)} is not allowed for ${rule.title.en}: its extendedKeyUsage (${c.eku.join(', ') || 'empty'}) contains none of ${rule.eku.join(', ')}.`,
        `${cap(l.vi)} không được dùng cho ${rule.title.vi}: extendedKeyUsage (${c.eku.join(', ') || 'rỗng'}) không có mục nào trong ${rule.eku.join(', ')}.`,
      );
    if (pos === 0 && c.keyUsage && !rule.keyUsage.some((b) => c.keyUsage!.has(b)))
      return custom(
        'PURPOSE',
        `${cap(l.en)} is not allowed for ${rule.title.en}: its keyUsage has none of the bits this use needs.`,
        `${cap(l.vi)} không được dùng cho ${rule.title.vi}: keyUsage không có bit nào mà mục đích này cần.`,
      );
  }
  return undefined;
}
