import { randomUUID } from 'node:crypto';

/**
 * What mail clients read to configure themselves, as plain functions of our endpoints: Thunderbird's
 * autoconfig (clientConfig 1.1), Outlook's POX autodiscover, and an Apple configuration profile. Every
 * endpoint needs TLS before the password (STARTTLS on IMAP, POP3 and 587; TLS from the first byte on 465),
 * and the user name is always the full address.
 */
export interface MailEndpoints {
  hostname: string;
  imapPort: number;
  pop3Port: number;
  submissionPort: number;
  submissionsPort: number;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** Thunderbird: https://<host>/.well-known/autoconfig/mail/config-v1.1.xml (and /mail/config-v1.1.xml). */
export function thunderbirdConfig(e: MailEndpoints, domain: string): string {
  const h = xml(e.hostname);
  const server = (tag: string, type: string, port: number, socket: string) =>
    `    <${tag} type="${type}">\n      <hostname>${h}</hostname>\n      <port>${port}</port>\n      <socketType>${socket}</socketType>\n      <authentication>password-cleartext</authentication>\n      <username>%EMAILADDRESS%</username>\n    </${tag}>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${xml(domain)}">`,
    `    <domain>${xml(domain)}</domain>`,
    `    <displayName>Thư công vụ ${xml(domain)}</displayName>`,
    `    <displayShortName>GovMail</displayShortName>`,
    server('incomingServer', 'imap', e.imapPort, 'STARTTLS'),
    server('incomingServer', 'pop3', e.pop3Port, 'STARTTLS'),
    server('outgoingServer', 'smtp', e.submissionsPort, 'SSL'),
    server('outgoingServer', 'smtp', e.submissionPort, 'STARTTLS'),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}

/** The address an Outlook autodiscover request asks about, or undefined when the body is not one. */
export function autodiscoverAddress(body: string): string | undefined {
  const m = /<EMailAddress>\s*([^<\s]+@[^<\s]+)\s*<\/EMailAddress>/i.exec(body);
  return m?.[1]?.toLowerCase();
}

/** Outlook: POST /autodiscover/autodiscover.xml, the "outlook" response schema with IMAP, SMTP and POP3. */
export function outlookAutodiscover(e: MailEndpoints, email: string): string {
  const protocol = (type: string, port: number, encryption: string) =>
    [
      '      <Protocol>',
      `        <Type>${type}</Type>`,
      `        <Server>${xml(e.hostname)}</Server>`,
      `        <Port>${port}</Port>`,
      `        <LoginName>${xml(email)}</LoginName>`,
      '        <DomainRequired>off</DomainRequired>',
      '        <SPA>off</SPA>',
      `        <Encryption>${encryption}</Encryption>`,
      '        <AuthRequired>on</AuthRequired>',
      ...(type === 'SMTP' ? ['        <UsePOPAuth>off</UsePOPAuth>', '        <SMTPLast>off</SMTPLast>'] : []),
      '      </Protocol>',
    ].join('\n');
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">',
    '  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">',
    '    <Account>',
    '      <AccountType>email</AccountType>',
    '      <Action>settings</Action>',
    protocol('IMAP', e.imapPort, 'TLS'),
    protocol('SMTP', e.submissionsPort, 'SSL'),
    protocol('POP3', e.pop3Port, 'TLS'),
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}

/** Apple Mail (iOS, macOS): a .mobileconfig with one IMAP account; passwords are asked on the device. */
export function appleMobileconfig(e: MailEndpoints, email: string, displayName: string): string {
  const str = (k: string, v: string) => `      <key>${k}</key>\n      <string>${xml(v)}</string>`;
  const int = (k: string, v: number) => `      <key>${k}</key>\n      <integer>${v}</integer>`;
  const bool = (k: string, v: boolean) => `      <key>${k}</key>\n      <${v}/>`;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const id = `vn.gov.govmail.${domain}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>PayloadContent</key>',
    '  <array>',
    '    <dict>',
    str('EmailAccountDescription', `Thư công vụ ${email}`),
    str('EmailAccountName', displayName),
    str('EmailAccountType', 'EmailTypeIMAP'),
    str('EmailAddress', email),
    str('IncomingMailServerAuthentication', 'EmailAuthPassword'),
    str('IncomingMailServerHostName', e.hostname),
    int('IncomingMailServerPortNumber', e.imapPort),
    bool('IncomingMailServerUseSSL', false),
    str('IncomingMailServerUsername', email),
    str('OutgoingMailServerAuthentication', 'EmailAuthPassword'),
    str('OutgoingMailServerHostName', e.hostname),
    int('OutgoingMailServerPortNumber', e.submissionsPort),
    bool('OutgoingMailServerUseSSL', true),
    str('OutgoingMailServerUsername', email),
    bool('OutgoingPasswordSameAsIncomingPassword', true),
    str('PayloadDisplayName', `Thư công vụ / Official mail — ${email}`),
    str('PayloadIdentifier', `${id}.mail.${email}`),
    str('PayloadType', 'com.apple.mail.managed'),
    str('PayloadUUID', randomUUID().toUpperCase()),
    int('PayloadVersion', 1),
    '    </dict>',
    '  </array>',
    '  <key>PayloadDisplayName</key>',
    `  <string>${xml(`GovMail — ${email}`)}</string>`,
    '  <key>PayloadIdentifier</key>',
    `  <string>${xml(id)}</string>`,
    '  <key>PayloadType</key>',
    '  <string>Configuration</string>',
    '  <key>PayloadUUID</key>',
    `  <string>${randomUUID().toUpperCase()}</string>`,
    '  <key>PayloadVersion</key>',
    '  <integer>1</integer>',
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
