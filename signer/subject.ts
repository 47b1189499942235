import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { Profile, SubjectField } from './profiles.js';

/** The subject of a certificate as our records hold it (never as a CSR claims it). */
export const subjectSchema = z
  .object({
    commonName: z.string().trim().min(1).max(64),
    organization: z.string().trim().min(1).max(64),
    organizationalUnit: z.string().trim().min(1).max(64),
    locality: z.string().trim().min(1).max(128),
    province: z.string().trim().min(1).max(128),
    country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter country code such as VN'),
    title: z.string().trim().min(1).max(64),
    email: z.string().email(),
    cccd: z.string().regex(/^\d{12}$/, 'a 12-digit citizen identity number (CCCD)'),
    mst: z.string().regex(/^\d{10}(-\d{3})?$/, 'a tax code of 10 digits, or 10-3 for a branch'),
    mns: z.string().regex(/^\d{7}$/, 'a 7-digit budget-unit code (mã quan hệ ngân sách)'),
    dnsNames: z.array(z.string().regex(/^(\*\.)?([a-z0-9-]+\.)+[a-z]{2,}$/i, 'a DNS name such as mail.tinh.gov.vn')).min(1),
  })
  .partial()
  .strict();
export type Subject = z.infer<typeof subjectSchema>;

/** Parses subject JSON against the profile: unknown or disallowed keys and missing required ones are errors. */
export function parseSubject(input: unknown, profile: Profile): Subject {
  const parsed = subjectSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'subject');
    throw new InvalidInputError(`subject.${field}`, issue.message, issue.message);
  }
  const s: Subject = { country: 'VN', ...parsed.data };
  for (const key of Object.keys(s) as SubjectField[]) {
    if (!profile.subject.allowed.includes(key)) {
      throw new InvalidInputError(`subject.${key}`, `no ${key} in a ${profile.name} certificate`, `không có ${key} trong chứng thư ${profile.title.vi}`);
    }
  }
  for (const key of profile.subject.required) {
    if (s[key] === undefined) throw new InvalidInputError(`subject.${key}`, `a value (required by the ${profile.name} profile)`, `giá trị (bắt buộc với ${profile.title.vi})`);
  }
  for (const group of profile.subject.oneOf) {
    if (!group.some((k) => s[k] !== undefined)) {
      throw new InvalidInputError(`subject.${group.join('|')}`, `at least one of ${group.join(', ')}`, `ít nhất một trong ${group.join(', ')}`);
    }
  }
  return s;
}

export const OID = {
  country: '2.5.4.6',
  province: '2.5.4.8',
  locality: '2.5.4.7',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  title: '2.5.4.12',
  commonName: '2.5.4.3',
  uid: '0.9.2342.19200300.100.1.1',
} as const;

/**
 * A Name with one attribute per RDN. pkijs would put every attribute of `typesAndValues` into a single
 * multi-valued RDN ("C=VN + ST=… + CN=…"), so the DER is built here and parsed back, which pkijs then
 * re-emits unchanged.
 */
export function nameFromAttributes(attributes: pkijs.AttributeTypeAndValue[]): pkijs.RelativeDistinguishedNames {
  const der = new asn1js.Sequence({ value: attributes.map((a) => new asn1js.Set({ value: [a.toSchema()] })) }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

/** Vietnamese subject order: C, ST, L, O, OU, title, CN, then the UID identifiers (MST/MNS/CCCD). */
export function subjectName(s: Subject): pkijs.RelativeDistinguishedNames {
  return nameFromAttributes(subjectAttributes(s));
}

function subjectAttributes(s: Subject): pkijs.AttributeTypeAndValue[] {
  const out: pkijs.AttributeTypeAndValue[] = [];
  const add = (type: string, value: string | undefined, printable = false) => {
    if (value === undefined) return;
    out.push(new pkijs.AttributeTypeAndValue({ type, value: printable ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }) }));
  };
  add(OID.country, s.country, true);
  add(OID.province, s.province);
  add(OID.locality, s.locality);
  add(OID.organization, s.organization);
  add(OID.organizationalUnit, s.organizationalUnit);
  add(OID.title, s.title);
  add(OID.commonName, s.commonName);
  if (s.mst) add(OID.uid, `MST:${s.mst}`);
  if (s.mns) add(OID.uid, `MNS:${s.mns}`);
  if (s.cccd) add(OID.uid, `CCCD:${s.cccd}`);
  return out;
}

/** One DN formatter for the whole signer: RFC 4514 order and escaping. */
export { formatName } from './cms/verify.js';
