import { useCallback, useEffect, useRef, useState } from 'react';
import { api, messagePath, uploadFile, type Attachment, type Upload } from '../api';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  percent: number;
  status: 'uploading' | 'done' | 'error';
  upload?: Upload;
}

let counter = 0;

/** Files being sent to /uploads, with their progress; the ids of those that finished go with the message. */
export function useUploads() {
  const [items, setItems] = useState<UploadItem[]>([]);
  const aborts = useRef(new Map<string, () => void>());

  const update = (key: string, change: Partial<UploadItem>) => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  const add = useCallback((files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const key = `u${++counter}`;
      setItems((list) => [...list, { key, name: file.name, size: file.size, percent: 0, status: 'uploading' }]);
      const { done, abort } = uploadFile(file, (percent) => update(key, { percent }));
      aborts.current.set(key, abort);
      done.then(
        (upload) => update(key, { status: 'done', percent: 100, upload }),
        () => update(key, { status: 'error' }),
      ).finally(() => aborts.current.delete(key));
    }
  }, []);

  /** A forward or a draft keeps the attachments of the message it starts from: the server copies them into uploads. */
  const addFromMessage = useCallback((folder: string, uid: number, parts: Attachment[]) => {
    if (!parts.length) return;
    const keys = parts.map(() => `u${++counter}`);
    setItems((list) => [...list, ...parts.map((p, i) => ({ key: keys[i]!, name: p.filename, size: p.size, percent: 0, status: 'uploading' as const }))]);
    api<Upload[]>('POST', messagePath(folder, uid, '/forward-attachments'), { parts: parts.map((p) => p.partId) }).then(
      (saved) => setItems((list) => list.map((item) => {
        const i = keys.indexOf(item.key);
        return i < 0 ? item : { ...item, status: 'done', percent: 100, upload: saved[i] };
      })),
      () => setItems((list) => list.map((item) => (keys.includes(item.key) ? { ...item, status: 'error' } : item))),
    );
  }, []);

  const remove = useCallback((key: string) => {
    aborts.current.get(key)?.();
    setItems((list) => list.filter((i) => i.key !== key));
  }, []);

  useEffect(() => {
    const pending = aborts.current;
    return () => pending.forEach((abort) => abort());
  }, []);

  const ids = items.filter((i) => i.status === 'done' && i.upload).map((i) => i.upload!.id);
  const busy = items.some((i) => i.status === 'uploading');
  return { items, add, addFromMessage, remove, ids, busy };
}
