import type { ReactNode } from 'react';
import { Typography } from 'antd';
import type { Address, RenderedMessage } from '../api';
import { formatDate, useT } from '../i18n';
import { addressList } from '../addresses';

/** A sender or recipient as text: the display name, and always the real address next to it. */
function Person({ who }: { who: Address }) {
  return (
    <span className="person">
      {who.name && <span className="person-name">{who.name} </span>}
      <span className="person-address" data-testid="real-address">&lt;{who.address}&gt;</span>
    </span>
  );
}

function People({ list }: { list: Address[] }) {
  return (
    <>
      {list.map((a, i) => (
        <span key={`${a.address}-${i}`}>
          {i > 0 && ', '}
          <Person who={a} />
        </span>
      ))}
    </>
  );
}

/** Subject, sender, recipients and date, all rendered as plain text; `children` (the signature badge) below them. */
export function MessageHeader({ message, titleId, children }: { message: RenderedMessage; titleId: string; children?: ReactNode }) {
  const { t, lang } = useT();
  const rows: [string, Address[]][] = [
    [t.from, addressList(message.from)],
    [t.to, addressList(message.to)],
    [t.cc, addressList(message.cc)],
  ];
  return (
    <header className="message-header">
      <Typography.Title level={1} id={titleId} tabIndex={-1} className="view-title message-subject" data-testid="message-subject">
        {message.subject || t.noSubject}
      </Typography.Title>
      <dl className="header-fields">
        {rows
          .filter(([, list]) => list.length > 0)
          .map(([label, list]) => (
            <div key={label} className="header-field">
              <dt>{label}:</dt>
              <dd>
                <People list={list} />
              </dd>
            </div>
          ))}
        <div className="header-field">
          <dt>{t.date}:</dt>
          <dd>
            <time dateTime={message.date ?? undefined}>{formatDate(message.date, lang, true)}</time>
          </dd>
        </div>
      </dl>
      {children}
    </header>
  );
}
