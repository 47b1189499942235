import { useEffect, useState } from 'react';
import { Select } from 'antd';
import { api, query, type DirectoryEntry } from '../api';
import { useT } from '../i18n';
import { isAddress, parseAddress, splitAddresses } from '../addresses';

export interface Recipient {
  value: string;
  label: string;
}

export const recipientLabel = (name: string | undefined, address: string) => (name ? `${name} <${address}>` : address);

/** `Name <address>` or a bare address → a recipient whose value is the bare address; null if it is neither. */
export function toRecipient(text: string): Recipient | null {
  const parsed = parseAddress(text);
  return parsed && isAddress(parsed.address) ? { value: parsed.address, label: recipientLabel(parsed.name, parsed.address) } : null;
}

function useDirectory(search: string): DirectoryEntry[] {
  const [found, setFound] = useState<DirectoryEntry[]>([]);
  useEffect(() => {
    if (search.trim().length < 2) return setFound([]);
    let live = true;
    const timer = setTimeout(() => {
      api<DirectoryEntry[]>('GET', `/directory${query({ q: search.trim() })}`).then(
        (list) => live && setFound(list.slice(0, 20)),
        () => live && setFound([]),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [search]);
  return found;
}

interface Props {
  id?: string;
  value?: Recipient[];
  onChange?: (v: Recipient[]) => void;
  'aria-invalid'?: boolean;
}

/**
 * Recipients as tags, completed from the agency directory (the server matches with or without
 * diacritics). A typed address is offered too; pasted lists split at commas and semicolons.
 */
export function AddressField({ id, value = [], onChange, ...aria }: Props) {
  const { t } = useT();
  const [search, setSearch] = useState('');
  const found = useDirectory(search);

  const add = (list: Recipient[]) => {
    const known = new Set(value.map((r) => r.value.toLowerCase()));
    onChange?.([...value, ...list.filter((r) => !known.has(r.value.toLowerCase()))]);
  };
  const onSearch = (text: string) => {
    if (!/[,;]/.test(text)) return setSearch(text);
    const parts = splitAddresses(text);
    const last = /[,;]\s*$/.test(text) ? '' : (parts.pop() ?? '');
    add(parts.map(toRecipient).filter((r): r is Recipient => r !== null));
    setSearch(last);
  };
  const typed = toRecipient(search);
  const options = found.map((e) => ({ value: e.address, label: recipientLabel(e.name, e.address), detail: [e.position, e.agency].filter(Boolean).join(' — ') }));
  if (typed && !options.some((o) => o.value.toLowerCase() === typed.value.toLowerCase())) options.push({ ...typed, detail: '' });

  return (
    <Select<Recipient[]>
      id={id}
      mode="multiple"
      labelInValue
      value={value}
      placeholder={t.addressHint}
      showSearch={{ searchValue: search, onSearch, filterOption: false, autoClearSearchValue: true }}
      notFoundContent={null}
      aria-invalid={aria['aria-invalid']}
      onBlur={() => {
        if (typed) add([typed]);
        setSearch('');
      }}
      onChange={(list) => {
        onChange?.(list.map((r) => ({ value: String(r.value), label: typeof r.label === 'string' ? r.label : String(r.value) })));
        setSearch('');
      }}
      options={options}
      optionRender={(o) => (
        <div className="directory-option">
          <div>{o.label}</div>
          {o.data.detail && <div className="directory-detail">{o.data.detail}</div>}
        </div>
      )}
    />
  );
}
