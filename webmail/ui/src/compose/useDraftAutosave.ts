import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type OutgoingMessage } from '../api';

export const DRAFT_INTERVAL_MS = 5000;

export type DraftStatus = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved'; at: Date } | { kind: 'failed' };

/**
 * Saves the message to /drafts every few seconds while it changes. `version` goes up on every edit;
 * the server answers with the draft's new uid, which replaces the previous draft next time.
 */
export function useDraftAutosave(collect: () => Partial<OutgoingMessage>, version: number, initialUid?: number) {
  const [status, setStatus] = useState<DraftStatus>({ kind: 'idle' });
  const draftUid = useRef<number | undefined>(initialUid);
  const savedVersion = useRef(0);
  const saving = useRef<Promise<void> | null>(null);
  const stopped = useRef(false);
  const latest = useRef({ collect, version });
  useEffect(() => {
    latest.current = { collect, version };
  });

  const save = useCallback(async () => {
    const { collect: gather, version: v } = latest.current;
    if (stopped.current || saving.current || v === savedVersion.current) return;
    setStatus({ kind: 'saving' });
    saving.current = (async () => {
      try {
        const res = await api<{ uid: number }>('POST', '/drafts', { ...gather(), draftUid: draftUid.current });
        if (res?.uid) draftUid.current = res.uid;
        savedVersion.current = v;
        setStatus({ kind: 'saved', at: new Date() });
      } catch {
        setStatus({ kind: 'failed' });
      } finally {
        saving.current = null;
      }
    })();
    await saving.current;
  }, []);

  useEffect(() => {
    const timer = setInterval(() => void save(), DRAFT_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [save]);

  /** No more saves (the message was sent or discarded); waits for one in flight so its uid is known. */
  const stop = useCallback(async () => {
    stopped.current = true;
    await saving.current;
    return draftUid.current;
  }, []);

  /** Saves again after a send that failed. */
  const resume = useCallback(() => {
    stopped.current = false;
    savedVersion.current = -1;
  }, []);

  return { status, stop, resume };
}
