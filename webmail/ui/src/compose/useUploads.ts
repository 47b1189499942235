import { useCallback, useEffect, useRef, useState } from 'react';
import { uploadFile, type Upload } from '../api';

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
  return { items, add, remove, ids, busy };
}
