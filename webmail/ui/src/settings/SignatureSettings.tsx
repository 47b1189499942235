import { useState } from 'react';
import { App, Button, Card, Input, Typography } from 'antd';
import { useT } from '../i18n';
import { loadSignature, saveSignature } from '../compose/editorContent';

/** The signature added under new messages, kept in this browser. */
export function SignatureSettings() {
  const { t } = useT();
  const { message } = App.useApp();
  const [text, setText] = useState(loadSignature);
  return (
    <Card title={<h2 className="card-heading">{t.signature}</h2>} className="settings-card">
      <Typography.Paragraph type="secondary" id="signature-hint">{t.signatureHint}</Typography.Paragraph>
      <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 3 }} aria-label={t.signature} aria-describedby="signature-hint" data-testid="signature" />
      <Button
        type="primary"
        className="gap-above"
        onClick={() => {
          saveSignature(text.trimEnd());
          message.success(t.saved);
        }}
      >
        {t.save}
      </Button>
    </Card>
  );
}
