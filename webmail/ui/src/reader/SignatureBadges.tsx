import { Tag } from 'antd';
import { API, messagePath, query, type SignatureBadge } from '../api';
import { formatDate, useT, type Strings } from '../i18n';

const COLOR: Record<SignatureBadge['status'], string> = { valid: 'success', invalid: 'error', indeterminate: 'warning', 'not-checked': 'default' };

function label(status: SignatureBadge['status'], t: Strings): string {
  // Only the server's 'valid' (TOTAL-PASSED for this signature) ever shows the green label.
  if (status === 'valid') return t.sigValid;
  if (status === 'invalid') return t.sigInvalid;
  if (status === 'not-checked') return t.sigNotChecked;
  return t.sigIndeterminate;
}

function certificateText(s: SignatureBadge['certificateStatus'], t: Strings): string | undefined {
  if (!s) return undefined;
  return { good: t.certGood, revoked: t.certRevoked, unknown: t.certUnknown, 'not-checked': t.certNotChecked }[s];
}

/** One signature: the coloured label, who signed and when (valid), or why not (otherwise), and the report link. */
function Badge({ folder, uid, badge }: { folder: string; uid: number; badge: SignatureBadge }) {
  const { t, lang } = useT();
  const reportUrl = `${API}${messagePath(folder, uid, `/signatures/${encodeURIComponent(badge.part)}/report`)}${query({ lang })}`;
  const reason = lang === 'vi' ? badge.vi : badge.en;
  const cert = certificateText(badge.certificateStatus, t);
  return (
    <div className={`signature-badge signature-${badge.status}`} data-testid="signature-badge" data-status={badge.status} data-part={badge.part}>
      <Tag color={COLOR[badge.status]} className="signature-tag">
        {label(badge.status, t)}
      </Tag>
      {badge.status === 'valid' ? (
        <span className="signature-details">
          {badge.signer && (
            <span>
              {t.sigSigner}: <strong data-testid="signature-signer">{badge.signer.name}</strong>
            </span>
          )}
          {badge.signer?.title && (
            <span>
              {t.sigPosition}: {badge.signer.title}
            </span>
          )}
          {badge.signer?.organisation && (
            <span>
              {t.sigAgency}: {badge.signer.organisation}
            </span>
          )}
          {badge.signedAt && (
            <span>
              {t.sigTime}: <time dateTime={badge.signedAt}>{formatDate(badge.signedAt, lang, true)}</time> {badge.signedAtSource === 'timestamp' ? t.sigTimeStamped : t.sigTimeClaimed}
            </span>
          )}
          {cert && (
            <span>
              {t.sigCertificate}: {cert}
            </span>
          )}
        </span>
      ) : (
        <span className="signature-details">
          <span>
            {t.sigReason}: {reason}
          </span>
          {badge.signer && (
            <span>
              {t.sigSigner}: {badge.signer.name}
            </span>
          )}
        </span>
      )}
      {badge.report && (
        // The report is a page of its own (its own CSP, no script), opened in a new tab; never put into this page.
        <a href={reportUrl} target="_blank" rel="noopener noreferrer" className="signature-report" data-testid="signature-report">
          {t.sigReport}
        </a>
      )}
    </div>
  );
}

/** The badges of one part ('message' or an attachment's partId); nothing when that part is not signed. */
export function SignatureBadges({ folder, uid, badges, part, title }: { folder: string; uid: number; badges: SignatureBadge[] | undefined; part: string; title?: string }) {
  const mine = (badges ?? []).filter((b) => b.part === part);
  if (!mine.length) return null;
  return (
    <div className="signature-badges" role="group" aria-label={title}>
      {mine.map((b) => (
        <Badge key={`${b.part}-${b.index}`} folder={folder} uid={uid} badge={b} />
      ))}
    </div>
  );
}
