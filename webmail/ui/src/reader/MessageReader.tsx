import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Space, Spin } from 'antd';
import { api, API, messagePath, query, type Folder, type RenderedMessage } from '../api';
import { useT } from '../i18n';
import { specialUse } from '../folders';
import { useShortcuts } from '../useShortcuts';
import type { ComposeMode } from '../compose/types';
import type { ListActions } from '../list/useListActions';
import { ListToolbar } from '../list/ListToolbar';
import { StarButton } from '../list/StarButton';
import { MessageHeader } from './MessageHeader';
import { WarningBanners } from './WarningBanners';
import { MessageFrame } from './MessageFrame';
import { AttachmentList } from './AttachmentList';
import { SignatureBadges } from './SignatureBadges';

interface Props {
  folder: string;
  uid: number;
  folders: Folder[];
  position: { index: number; count: number };
  onStep: (delta: number) => void;
  /** The message is being moved away (deleted, spam, moved): go on to the next one. */
  onLeave: () => void;
  onBack: () => void;
  onCompose: (mode: ComposeMode, source: RenderedMessage) => void;
  actions: ListActions;
}

function useRenderedMessage(folder: string, uid: number, allowRemote: boolean) {
  const [message, setMessage] = useState<RenderedMessage | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    setFailed(false);
    api<RenderedMessage>('GET', `${messagePath(folder, uid)}${query({ allowRemote })}`).then(
      (m) => live && setMessage(m),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [folder, uid, allowRemote]);
  return { message, failed };
}

/** One message: actions, headers as text, sender warnings, the sandboxed body, attachments. */
export function MessageReader({ folder, uid, folders, position, onStep, onLeave, onBack, onCompose, actions }: Props) {
  const { t } = useT();
  const [allowRemote, setAllowRemote] = useState(false);
  const { message, failed } = useRenderedMessage(folder, uid, allowRemote);
  const [flagged, setFlagged] = useState<boolean | null>(null);
  const isDraft = specialUse(folders.find((f) => f.path === folder) ?? { path: folder, specialUse: null }) === '\\Drafts';

  const answer = useCallback((mode: ComposeMode) => message && onCompose(mode, message), [message, onCompose]);
  const leaveWith = (act: () => Promise<void>) => {
    onLeave();
    void act();
  };
  useShortcuts({ r: () => answer('reply'), a: () => answer('replyAll'), f: () => answer('forward'), '#': () => leaveWith(() => actions.remove([uid])) });

  const isFlagged = flagged ?? message?.flags.includes('\\Flagged') ?? false;
  const toggleFlag = (on: boolean) => {
    setFlagged(on);
    void actions.setFlagged([uid], on);
  };
  useEffect(() => {
    if (!message) return;
    // The link that opened it is gone: move focus to the subject, so reading starts there.
    if (document.activeElement === document.body) document.getElementById('message-subject')?.focus({ preventScroll: true });
    if (message.flags.includes('\\Seen')) void actions.reloadFolders();
    else void actions.setSeen([uid], true);
    // once per loaded message; actions change on every list update
  }, [message]);
  const nav = (
    <>
      <Button onClick={onBack}>← {t.backToList}</Button>
      <Button onClick={() => onStep(-1)} disabled={position.index <= 0} aria-label={t.previousMessage} title={`${t.previousMessage} (k)`}>
        <span aria-hidden="true">‹</span>
      </Button>
      <Button onClick={() => onStep(1)} disabled={position.index + 1 >= position.count} aria-label={t.nextMessage} title={`${t.nextMessage} (j)`}>
        <span aria-hidden="true">›</span>
      </Button>
    </>
  );

  return (
    <article className="reader" aria-busy={!message && !failed} aria-labelledby="message-subject">
      <ListToolbar
        folders={folders}
        current={folder}
        count={1}
        extra={nav}
        onDelete={() => leaveWith(() => actions.remove([uid]))}
        onSpam={() => leaveWith(() => actions.spam([uid]))}
        onNotSpam={() => leaveWith(() => actions.notSpam([uid]))}
        onSeen={(seen) => void actions.setSeen([uid], seen)}
        onFlag={toggleFlag}
        onMove={(to) => leaveWith(() => actions.move([uid], to))}
      />
      {failed && <Alert type="error" role="alert" title={t.loadFailed} />}
      {!message && !failed && <Spin className="center-spin" description={t.loading} />}
      {message && (
        <>
          <MessageHeader message={message} titleId="message-subject">
            <SignatureBadges folder={folder} uid={uid} badges={message.signatures} part="message" title={t.sigOfMessage} />
          </MessageHeader>
          <Space wrap className="reply-bar">
            <StarButton flagged={isFlagged} onToggle={() => toggleFlag(!isFlagged)} />
            {isDraft ? (
              <Button type="primary" onClick={() => answer('draft')}>{t.compose}</Button>
            ) : (
              <>
                <Button type="primary" onClick={() => answer('reply')} title="r">{t.reply}</Button>
                <Button onClick={() => answer('replyAll')} title="a">{t.replyAll}</Button>
                <Button onClick={() => answer('forward')} title="f">{t.forward}</Button>
              </>
            )}
            <a href={`${API}${messagePath(folder, uid, '/raw')}`} download={`${uid}.eml`}>{t.downloadOriginal}</a>
          </Space>
          <WarningBanners warnings={message.warnings ?? []} />
          {message.blockedRemote > 0 && !allowRemote && (
            <Alert
              type="info"
              title={t.imagesBlocked(message.blockedRemote)}
              action={<Button size="small" onClick={() => setAllowRemote(true)}>{t.showImages}</Button>}
              data-testid="images-blocked"
            />
          )}
          <MessageFrame html={message.html} />
          <AttachmentList folder={folder} uid={uid} attachments={(message.attachments ?? []).filter((a) => !a.inline)} signatures={message.signatures} />
        </>
      )}
    </article>
  );
}
