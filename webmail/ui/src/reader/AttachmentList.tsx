import { useEffect, useState } from 'react';
import { Alert, Button, Modal, Space, Spin, Typography } from 'antd';
import { API, messagePath, type Attachment, type SignatureBadge } from '../api';
import { formatSize, useT } from '../i18n';
import { SignatureBadges } from './SignatureBadges';

const isPdf = (a: Attachment) => a.contentType === 'application/pdf';
const isImage = (a: Attachment) => /^image\/(png|jpeg|gif|webp|bmp|avif)$/.test(a.contentType);

/**
 * A PDF to show in the browser's viewer. Parts are served with a sandbox CSP (which keeps the viewer out)
 * and as non-frameable, so the client fetches the bytes and frames a blob: URL it typed as PDF itself:
 * whatever the part really holds, the browser treats it as a PDF, never as a page.
 */
function usePdfUrl(url: string | null): { blobUrl?: string; failed: boolean } {
  const [state, setState] = useState<{ blobUrl?: string; failed: boolean }>({ failed: false });
  useEffect(() => {
    if (!url) return;
    let blobUrl: string | undefined;
    let live = true;
    setState({ failed: false });
    fetch(url, { credentials: 'same-origin' })
      .then((res) => (res.ok ? res.arrayBuffer() : Promise.reject(new Error(String(res.status)))))
      .then((bytes) => {
        blobUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
        if (live) setState({ blobUrl, failed: false });
      })
      .catch(() => live && setState({ failed: true }));
    return () => {
      live = false;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    };
  }, [url]);
  return state;
}

function Preview({ attachment, url }: { attachment: Attachment; url: string }) {
  const { t } = useT();
  const pdf = usePdfUrl(isPdf(attachment) ? url : null);
  if (isImage(attachment)) return <img className="image-preview" alt={attachment.filename} src={url} />;
  if (pdf.failed) return <Alert type="error" title={t.loadFailed} />;
  if (!pdf.blobUrl) return <Spin className="center-spin" description={t.loading} />;
  return <iframe className="pdf-preview" title={attachment.filename} src={pdf.blobUrl} data-testid="pdf-preview" />;
}

/** Downloads for every part; a preview (PDF in the browser's viewer, images) for the kinds the server serves inline. */
export function AttachmentList({ folder, uid, attachments, signatures }: { folder: string; uid: number; attachments: Attachment[]; signatures?: SignatureBadge[] }) {
  const { t } = useT();
  const [previewing, setPreviewing] = useState<Attachment | null>(null);
  if (!attachments.length) return null;
  const partUrl = (a: Attachment, inline = false) => `${API}${messagePath(folder, uid, `/parts/${encodeURIComponent(a.partId)}`)}${inline ? '?inline=1' : ''}`;

  return (
    <section className="attachments" aria-labelledby="attachments-heading">
      <Typography.Title level={2} id="attachments-heading" className="attachments-title">
        {t.attachments} ({attachments.length})
      </Typography.Title>
      <ul className="attachment-list">
        {attachments.map((a) => (
          <li key={a.partId} className="attachment" data-testid="attachment">
            <span className="attachment-name" title={a.contentType}>
              {a.filename || a.partId}
            </span>
            <span className="attachment-size">{formatSize(a.size)}</span>
            <Space size="small">
              <a href={partUrl(a)} download={a.filename || undefined} aria-label={`${t.download} ${a.filename}`}>
                {t.download}
              </a>
              {(isPdf(a) || isImage(a)) && (
                <Button size="small" onClick={() => setPreviewing(a)} aria-label={`${t.preview} ${a.filename}`}>
                  {t.preview}
                </Button>
              )}
            </Space>
            <SignatureBadges folder={folder} uid={uid} badges={signatures} part={a.partId} title={t.sigOfFile(a.filename || a.partId)} />
          </li>
        ))}
      </ul>
      <Modal open={previewing !== null} title={previewing?.filename} onCancel={() => setPreviewing(null)} footer={null} width="min(960px, 96vw)" destroyOnHidden>
        {previewing && <Preview attachment={previewing} url={partUrl(previewing, true)} />}
      </Modal>
    </section>
  );
}
