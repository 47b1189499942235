import { Button } from 'antd';
import { useT } from '../i18n';

/** A toggle for the \Flagged flag, announced as pressed or not. */
export function StarButton({ flagged, onToggle }: { flagged: boolean; onToggle: () => void }) {
  const { t } = useT();
  return (
    <Button
      type="text"
      size="small"
      className={flagged ? 'star star-on' : 'star'}
      aria-pressed={flagged}
      aria-label={t.flag}
      title={flagged ? t.unflag : t.flag}
      onClick={onToggle}
    >
      <span aria-hidden="true">{flagged ? '★' : '☆'}</span>
    </Button>
  );
}
