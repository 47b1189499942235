import { Button, Dropdown, Grid, Space, type MenuProps } from 'antd';
import type { Folder } from '../api';
import { useT } from '../i18n';
import { folderLabel, specialUse } from '../folders';

interface Props {
  folders: Folder[];
  current: string;
  /** The selected messages (or the one being read). */
  count: number;
  onDelete: () => void;
  onSpam: () => void;
  /** In Junk: back to INBOX, and the spam filter learns it was wanted. */
  onNotSpam: () => void;
  onSeen: (seen: boolean) => void;
  onFlag: (flagged: boolean) => void;
  onMove: (to: string) => void;
  onRefresh?: () => void;
  extra?: React.ReactNode;
}

/** Actions on the chosen messages: delete, spam (not spam in Junk), read/unread, star, move; refresh. On a phone the rest fold into one menu. */
export function ListToolbar({ folders, current, count, onDelete, onSpam, onNotSpam, onSeen, onFlag, onMove, onRefresh, extra }: Props) {
  const { t } = useT();
  const wide = Grid.useBreakpoint().lg ?? true;
  const none = count === 0;
  const use = specialUse(folders.find((f) => f.path === current) ?? { path: current, specialUse: null });
  const moveItems = folders.filter((f) => f.path !== current).map((f) => ({ key: `move:${f.path}`, label: folderLabel(f, t) }));
  const actions: Record<string, () => void> = { spam: onSpam, notSpam: onNotSpam, read: () => onSeen(true), unread: () => onSeen(false), flag: () => onFlag(true) };
  const onMenu: MenuProps['onClick'] = ({ key }) => (key.startsWith('move:') ? onMove(key.slice(5)) : actions[key]?.());
  const more: MenuProps['items'] = [
    use !== '\\Junk' ? { key: 'spam', label: t.spam } : { key: 'notSpam', label: t.notSpam },
    { key: 'read', label: t.markRead },
    { key: 'unread', label: t.markUnread },
    { key: 'flag', label: t.flag },
    { key: 'move', label: t.moveTo, children: moveItems },
  ];

  return (
    <div role="toolbar" aria-label={t.action} className="toolbar">
      <Space wrap size="small">
        {extra}
        {onRefresh && <Button onClick={onRefresh}>{t.refresh}</Button>}
        <Button disabled={none} onClick={onDelete} danger title="#" data-testid="delete">
          {use === '\\Trash' ? t.deleteForever : t.delete}
        </Button>
        {wide ? (
          <>
            {use !== '\\Junk' ? (
              <Button disabled={none} onClick={onSpam} data-testid="spam">{t.spam}</Button>
            ) : (
              <Button disabled={none} onClick={onNotSpam} data-testid="not-spam">{t.notSpam}</Button>
            )}
            <Button disabled={none} onClick={() => onSeen(true)}>{t.markRead}</Button>
            <Button disabled={none} onClick={() => onSeen(false)}>{t.markUnread}</Button>
            <Button disabled={none} onClick={() => onFlag(true)}>{t.flag}</Button>
            <Dropdown disabled={none} trigger={['click']} menu={{ items: moveItems, onClick: onMenu }}>
              <Button disabled={none}>{t.moveTo}</Button>
            </Dropdown>
          </>
        ) : (
          <Dropdown disabled={none} trigger={['click']} menu={{ items: more, onClick: onMenu }}>
            <Button disabled={none}>{t.moreActions}</Button>
          </Dropdown>
        )}
      </Space>
    </div>
  );
}
