import { forwardRef } from 'react';
import { Button, Space } from 'antd';
import { useT, type Strings } from '../i18n';
import { BulletListIcon, NumberedListIcon } from './ListIcons';

const COMMANDS: [command: string, label: keyof Strings, face: React.ReactNode][] = [
  ['bold', 'bold', 'B'],
  ['italic', 'italic', 'I'],
  ['underline', 'underline', 'U'],
  ['insertUnorderedList', 'bulletList', <BulletListIcon key="ul" />],
  ['insertOrderedList', 'numberedList', <NumberedListIcon key="ol" />],
];

/**
 * A contentEditable area with a few formatting buttons. Its content is what the user types; text from
 * elsewhere (quotes, signature, drafts) is put in as text nodes by editorContent.ts, never as HTML.
 */
export const RichEditor = forwardRef<HTMLDivElement, { onInput: () => void; labelId: string }>(function RichEditor({ onInput, labelId }, ref) {
  const { t } = useT();
  const run = (command: string) => {
    document.execCommand(command);
    onInput();
  };
  return (
    <div className="rich-editor">
      <div role="toolbar" aria-label={t.editorMode} className="editor-toolbar">
        <Space.Compact>
          {COMMANDS.map(([command, label, face]) => (
            <Button key={command} size="small" aria-label={t[label] as string} title={t[label] as string} onMouseDown={(e) => e.preventDefault()} onClick={() => run(command)}>
              <span aria-hidden="true" className={`face-${command}`}>{face}</span>
            </Button>
          ))}
        </Space.Compact>
      </div>
      <div
        ref={ref}
        className="editor-area"
        contentEditable
        suppressContentEditableWarning
        role="textbox"
        aria-multiline="true"
        aria-labelledby={labelId}
        tabIndex={0}
        spellCheck
        onInput={onInput}
        data-testid="editor"
      />
    </div>
  );
});
