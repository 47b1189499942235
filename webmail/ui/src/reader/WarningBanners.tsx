import { Alert } from 'antd';
import type { Warning } from '../api';
import { useT, type Strings } from '../i18n';

/** The server's own words in the chosen language (they name the real address); ours when it sent none. */
function warningText(w: Warning, t: Strings, lang: 'vi' | 'en'): string {
  const own: Record<string, string> = {
    'external-sender': t.warnExternal,
    'lookalike-domain': t.warnLookalike,
    'display-name-spoof': t.warnDisplayName,
  };
  return (lang === 'vi' ? w.vi : w.en) ?? own[w.code] ?? t.warnGeneric;
}

const SEVERITY: Record<string, 'error' | 'warning' | 'info'> = {
  'lookalike-domain': 'error',
  'display-name-spoof': 'error',
  'sender-not-authenticated': 'error',
  'external-sender': 'warning',
};

/** Sender warnings (external, look-alike domain, display-name spoof, broken message) as banners, as text. */
export function WarningBanners({ warnings }: { warnings: Warning[] }) {
  const { t, lang } = useT();
  if (!warnings.length) return null;
  return (
    <div className="warnings" data-testid="warnings">
      {warnings.map((w, i) => (
        <Alert key={`${w.code}-${i}`} type={SEVERITY[w.code] ?? 'info'} showIcon title={warningText(w, t, lang)} data-warning={w.code} />
      ))}
    </div>
  );
}
