import { useId } from 'react';
import { Checkbox, Select, Space } from 'antd';
import type { StampKind } from '../api';
import { useT } from '../i18n';

/** What the user chose for one PDF attachment: sign it or not, and which stamp shows on the page. */
export interface PdfSignState {
  sign: boolean;
  stamp: StampKind;
}

/** A PDF, by its name or its type: the server checks the bytes again before signing. */
export const isPdfFile = (name: string, contentType?: string) => contentType === 'application/pdf' || /\.pdf$/i.test(name);

/**
 * The stamps a certificate can make: a person's stamp with a person's certificate, the seal with an
 * organisation's; a copy's text block with either.
 */
export function stampKinds(profile: string | undefined): StampKind[] {
  if (profile === 'organisation') return ['none', 'organisation', 'copy'];
  return ['none', 'person', 'copy'];
}

/** The stamp offered first: the leader signs with a person stamp, the clerk seals over it. */
export const defaultStamp = (profile: string | undefined): StampKind => (profile === 'organisation' ? 'organisation' : 'person');

interface Props {
  filename: string;
  value: PdfSignState;
  profile: string | undefined;
  onChange: (next: PdfSignState) => void;
}

/** "Ký tệp PDF này / Sign this PDF" under an attached PDF, with the visible stamp to put on it. */
export function AttachmentSignOptions({ filename, value, profile, onChange }: Props) {
  const { t } = useT();
  const id = useId();
  const labels: Record<StampKind, string> = { none: t.stampNone, person: t.stampPerson, organisation: t.stampOrganisation, copy: t.stampCopy };
  const kinds = stampKinds(profile);
  const stamp = kinds.includes(value.stamp) ? value.stamp : defaultStamp(profile);
  return (
    <Space className="upload-sign" wrap data-testid="pdf-sign">
      <Checkbox
        id={id}
        checked={value.sign}
        onChange={(e) => onChange({ sign: e.target.checked, stamp })}
        aria-label={t.signPdfOf(filename)}
        data-testid="pdf-sign-check"
      >
        {t.signPdf}
      </Checkbox>
      {value.sign && (
        <Select<StampKind>
          aria-label={`${t.stampKind}: ${filename}`}
          value={stamp}
          onChange={(next) => onChange({ sign: true, stamp: next })}
          options={kinds.map((k) => ({ value: k, label: labels[k] }))}
          data-testid="pdf-sign-stamp"
        />
      )}
    </Space>
  );
}
