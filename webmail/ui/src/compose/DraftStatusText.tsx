import { Typography } from 'antd';
import { useT } from '../i18n';
import type { DraftStatus } from './useDraftAutosave';

/** "Draft saved at 10:32", announced politely to screen readers. */
export function DraftStatusText({ status }: { status: DraftStatus }) {
  const { t, lang } = useT();
  const text =
    status.kind === 'saving'
      ? t.draftSaving
      : status.kind === 'saved'
        ? t.draftSaved(status.at.toLocaleTimeString(lang === 'vi' ? 'vi-VN' : 'en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' }))
        : status.kind === 'failed'
          ? t.draftFailed
          : '';
  return (
    <Typography.Text type="secondary" role="status" aria-live="polite" data-testid="draft-status">
      {text}
    </Typography.Text>
  );
}
