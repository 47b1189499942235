import { useEffect, useRef } from 'react';
import { API } from './api';

/** Listens to /events and calls `onMail(folder)` when the server sees new mail. EventSource reconnects by itself. */
export function useMailEvents(onMail: (folder: string) => void): void {
  const handler = useRef(onMail);
  useEffect(() => {
    handler.current = onMail;
  });
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(`${API}/events`, { withCredentials: true });
    source.addEventListener('mail', (e) => {
      let folder = 'INBOX';
      try {
        folder = (JSON.parse((e as MessageEvent<string>).data) as { folder?: string }).folder ?? folder;
      } catch {
        // an event without data still means "something arrived"
      }
      handler.current(folder);
    });
    return () => source.close();
  }, []);
}
