import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, query, type MessagePage, type SearchCriteria, type SortKey } from './api';

export interface ListQuery {
  folder: string;
  page: number;
  pageSize: number;
  sort: SortKey;
  order: 'asc' | 'desc';
  search: SearchCriteria;
}

export const PAGE_SIZE = 50;

const EMPTY: MessagePage = { total: 0, page: 1, pageSize: PAGE_SIZE, messages: [] };

/** One page of a folder; keeps showing the previous page while the next one loads, and ignores late answers. */
export function useMessageList(q: ListQuery) {
  const [data, setData] = useState<MessagePage>(EMPTY);
  const [loading, setLoading] = useState(true);
  const [failed, setFailed] = useState(false);
  const latest = useRef(0);
  const { folder, page, pageSize, sort, order, search } = q;

  const reload = useCallback(async () => {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const params = { folder, page, pageSize, sort, order, ...search, hasAttachment: search.hasAttachment ? '1' : undefined };
      const res = await api<MessagePage>('GET', `/messages${query(params)}`);
      if (ticket === latest.current) {
        setData(res);
        setFailed(false);
      }
    } catch {
      if (ticket === latest.current) setFailed(true);
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [folder, page, pageSize, sort, order, search]);

  useEffect(() => void reload(), [reload]);

  /** Changes rows here at once (flags, removals) so the list answers before the server does. */
  const patch = useCallback((fn: (p: MessagePage) => MessagePage) => setData((d) => fn(d)), []);
  return useMemo(() => ({ data, loading, failed, reload, patch }), [data, loading, failed, reload, patch]);
}
