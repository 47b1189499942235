import { Button } from 'antd';
import type { Folder } from './api';
import { useT } from './i18n';
import { folderDepth, folderLabel } from './folders';

interface Props {
  folders: Folder[];
  current: string;
  onOpen: (path: string) => void;
  onCompose: () => void;
}

/** The compose button and the folder tree with unread counts. */
export function FolderNav({ folders, current, onOpen, onCompose }: Props) {
  const { t } = useT();
  return (
    <div className="folder-nav">
      <Button type="primary" size="large" block onClick={onCompose} data-testid="compose" title="c">
        {t.compose}
      </Button>
      <nav aria-label={t.folders}>
        <ul className="folder-list">
          {folders.map((f) => (
            <li key={f.path}>
              <button
                type="button"
                className={`folder${f.path === current ? ' folder-current' : ''}${f.unseen ? ' folder-unread' : ''}`}
                style={{ paddingInlineStart: 12 + folderDepth(f) * 14 }}
                aria-current={f.path === current ? 'page' : undefined}
                onClick={() => onOpen(f.path)}
                data-folder={f.path}
              >
                <span className="folder-name">{folderLabel(f, t)}</span>
                {f.unseen > 0 && (
                  <span className="folder-count">
                    <span aria-hidden="true">{f.unseen}</span>
                    <span className="sr-only">{t.unreadCount(f.unseen)}</span>
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      </nav>
    </div>
  );
}
