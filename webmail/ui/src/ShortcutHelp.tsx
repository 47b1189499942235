import { Modal } from 'antd';
import { useT, type Strings } from './i18n';

const KEYS: [string, keyof Strings][] = [
  ['c', 'keyCompose'],
  ['r', 'keyReply'],
  ['a', 'keyReplyAll'],
  ['f', 'keyForward'],
  ['j', 'keyNext'],
  ['k', 'keyPrev'],
  ['o / Enter', 'keyOpen'],
  ['#', 'keyDelete'],
  ['/', 'keySearch'],
  ['Esc', 'keyBack'],
  ['?', 'keyHelp'],
];

/** The `?` overlay: every shortcut and what it does. */
export function ShortcutHelp({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useT();
  return (
    <Modal open={open} onCancel={onClose} footer={null} title={t.shortcuts} data-testid="shortcut-help">
      <table className="shortcut-table">
        <thead>
          <tr>
            <th scope="col">{t.key}</th>
            <th scope="col">{t.action}</th>
          </tr>
        </thead>
        <tbody>
          {KEYS.map(([key, label]) => (
            <tr key={key}>
              <td>
                <kbd>{key}</kbd>
              </td>
              <td>{t[label] as string}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
