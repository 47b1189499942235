import { useT } from '../i18n';

/**
 * The message body, as the server's sanitised HTML document, in a sandbox that forbids scripts and gives
 * the document an opaque origin (no allow-scripts, no allow-same-origin — never add either). Links may
 * open in a new tab, outside the sandbox, so that the page they open works normally.
 */
export const MESSAGE_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

export function MessageFrame({ html }: { html: string }) {
  const { t } = useT();
  return <iframe className="message-frame" title={t.messageBody} sandbox={MESSAGE_SANDBOX} srcDoc={html} referrerPolicy="no-referrer" data-testid="message-frame" />;
}
