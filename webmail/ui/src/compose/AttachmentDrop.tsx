import { useState, type ReactNode } from 'react';
import { Button, Progress } from 'antd';
import { formatSize, useT } from '../i18n';
import type { UploadItem } from './useUploads';
import { PaperclipIcon } from '../PaperclipIcon';

interface Props {
  items: UploadItem[];
  onFiles: (files: FileList) => void;
  onRemove: (key: string) => void;
  /** More controls under a file (the PDF signing options). */
  extra?: (item: UploadItem) => ReactNode;
}

/** A drop zone that is also a file picker (its input stays focusable), and the files with their progress. */
export function AttachmentDrop({ items, onFiles, onRemove, extra }: Props) {
  const { t } = useT();
  const [over, setOver] = useState(false);
  return (
    <div className="attach">
      <label
        className={`drop-zone${over ? ' drop-over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (e.dataTransfer.files.length) onFiles(e.dataTransfer.files);
        }}
      >
        <input
          type="file"
          multiple
          className="sr-only"
          aria-label={t.attach}
          data-testid="attach-input"
          onChange={(e) => {
            if (e.target.files?.length) onFiles(e.target.files);
            e.target.value = '';
          }}
        />
        <PaperclipIcon /> {t.dropFiles}
      </label>
      {items.length > 0 && (
        <ul className="upload-list" aria-label={t.attachments}>
          {items.map((i) => (
            <li key={i.key} className="upload" data-testid="upload" data-status={i.status}>
              <span className="upload-name">{i.name}</span>
              <span className="upload-size">{formatSize(i.size)}</span>
              <Progress
                percent={i.percent}
                size="small"
                status={i.status === 'error' ? 'exception' : i.status === 'done' ? 'success' : 'active'}
                aria-label={i.name}
                className="upload-progress"
              />
              {i.status === 'error' && <span role="alert" className="upload-error">{t.uploadFailed(i.name)}</span>}
              <Button size="small" type="text" onClick={() => onRemove(i.key)} aria-label={t.removeAttachment(i.name)}>
                <span aria-hidden="true">✕</span>
              </Button>
              {extra?.(i)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
