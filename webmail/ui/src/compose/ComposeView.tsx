import { useEffect, useRef, useState } from 'react';
import { App, Button, Form, Input, Modal, Segmented, Select, Space, Spin, Switch, Typography, type FormInstance } from 'antd';
import { api, ApiError, type OutgoingMessage, type PdfSignChoice, type SendResult, type SigningCertificate, type User } from '../api';
import { formatDate, useT } from '../i18n';
import { addressList, isAddress, parseAddress } from '../addresses';
import { deleteMessages } from '../mailActions';
import type { ComposeInit } from './types';
import { composeStart } from './quote';
import { fillRichEditor, htmlDocument, initialPlainText, loadSignature, setEditorText } from './editorContent';
import { htmlText } from './htmlText';
import { AddressField, recipientLabel, type Recipient } from './AddressField';
import { RichEditor } from './RichEditor';
import { AttachmentDrop } from './AttachmentDrop';
import { AttachmentSignOptions, defaultStamp, isPdfFile, stampKinds, type PdfSignState } from './AttachmentSignOptions';
import { useUploads } from './useUploads';
import { useDraftAutosave } from './useDraftAutosave';
import { pickIdentity, useIdentities } from './useIdentities';
import { DraftStatusText } from './DraftStatusText';

interface Fields {
  from: string;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
}
type Mode = 'rich' | 'plain';

interface Props {
  init: ComposeInit;
  user: User;
  draftsFolder?: string;
  onClose: (sent: boolean) => void;
}

/** Waits for the identities (a reply must leave out every address of the user's own), then shows the form. */
export default function ComposeView(props: Props) {
  const { t } = useT();
  const identities = useIdentities(props.user);
  return identities ? <ComposeForm {...props} identities={identities} /> : <Spin className="center-spin" description={t.loading} />;
}

/** Writing a message: identity, recipients, subject, rich or plain text, attachments; drafts saved as you go. */
function ComposeForm({ init, identities, draftsFolder, onClose }: Props & { identities: User[] }) {
  const { t, lang } = useT();
  const { message } = App.useApp();
  const [start] = useState(() => composeStart(init, identities.map((i) => i.address), t, lang));
  const [form] = Form.useForm<Fields>();
  const [mode, setMode] = useState<Mode>('rich');
  const [plain, setPlain] = useState(() => initialPlainText(start, loadSignature()));
  const [version, setVersion] = useState(0);
  const [sending, setSending] = useState(false);
  const editor = useRef<HTMLDivElement>(null);
  const uploads = useUploads();
  useEffect(() => {
    // Once, for the message compose started from: a forward or a draft keeps its attachments.
    const src = init.source;
    if (src && (init.mode === 'forward' || init.mode === 'draft')) uploads.addFromMessage(src.folder, src.uid, src.attachments.filter((a) => !a.inline));
  }, []);
  const signing = useSigning();
  const [pdfSign, setPdfSign] = useState<Record<string, PdfSignState>>({});
  const touch = () => setVersion((v) => v + 1);
  const profile = signing.certificates.find((c) => c.serial === signing.serial)?.profile;
  // The PDFs ticked for signing, with a stamp the chosen certificate can make.
  const chosenPdfs: PdfSignChoice[] = uploads.items
    .filter((i) => i.status === 'done' && i.upload && isPdfFile(i.name, i.upload.contentType) && pdfSign[i.key]?.sign)
    .map((i) => {
      const stamp = pdfSign[i.key]!.stamp;
      return { id: i.upload!.id, stamp: stampKinds(profile).includes(stamp) ? stamp : defaultStamp(profile) };
    });
  const signingAnything = signing.on || chosenPdfs.length > 0;

  useEffect(() => {
    if (editor.current) fillRichEditor(editor.current, start, loadSignature());
    // the editor is filled once, from the message being answered
  }, []);
  useEffect(() => touch(), [uploads.ids.length]);

  const body = (): Pick<OutgoingMessage, 'text' | 'html'> =>
    mode === 'rich' && editor.current ? { text: htmlText(editor.current), html: htmlDocument(editor.current.innerHTML) } : { text: plain };
  const collect = (): OutgoingMessage => {
    const v = form.getFieldsValue(true) as Fields;
    // The name the user saw goes along with the address ("Trần Thị B" <tranthib@…>).
    const addresses = (list?: Recipient[]) => (list ?? []).map((r) => ({ name: parseAddress(r.label)?.name ?? '', address: r.value }));
    return { from: v.from, to: addresses(v.to), cc: addresses(v.cc), bcc: addresses(v.bcc), subject: v.subject ?? '', ...body(), inReplyTo: start.inReplyTo, references: start.references, attachments: uploads.ids };
  };
  const draft = useDraftAutosave(collect, version, start.draftUid);

  const switchMode = (next: Mode) => {
    if (next === mode) return;
    if (next === 'plain' && editor.current) setPlain(htmlText(editor.current));
    setMode(next);
  };
  useEffect(() => {
    if (mode === 'rich' && editor.current && version > 0) setEditorText(editor.current, plain);
    // only when switching back to rich text
  }, [mode]);

  const deliver = async (sign?: NonNullable<OutgoingMessage['sign']>) => {
    setSending(true);
    signing.setError(null);
    const draftUid = await draft.stop();
    try {
      const res = await api<SendResult>('POST', '/send', { ...collect(), draftUid, ...(sign ? { sign } : {}) });
      message.success(res?.queued?.length ? `${t.sentOk}. ${t.queuedTo(res.queued.join(', '))}` : t.sentOk);
      onClose(true);
    } catch (e) {
      draft.resume();
      const text = e instanceof ApiError ? e.text(lang) : t.errorGeneric;
      // A signing problem (wrong PIN, attempts left, locked key) is shown next to the switch as well.
      if (sign) signing.setError(text);
      message.error(text);
      setSending(false);
    }
  };
  const send = async () => {
    const fields = await form.validateFields().catch(() => null);
    if (!fields || uploads.busy || sending) return;
    // Signing asks for the PIN now, at send time; it is never kept after this send.
    if (signingAnything && signing.serial) signing.askPin();
    else await deliver();
  };
  const confirmPin = () => {
    const pin = signing.pin;
    if (!/^\d{6,12}$/.test(pin)) {
      signing.setPinError(true);
      return;
    }
    signing.closePin();
    // One PIN for everything: the message (S/MIME, when the switch is on) and each ticked PDF.
    void deliver({ serial: signing.serial!, pin, message: signing.on, ...(chosenPdfs.length ? { attachments: chosenPdfs } : {}) });
  };
  const discard = async () => {
    const draftUid = await draft.stop();
    if (draftUid && draftsFolder) await deleteMessages(draftsFolder, [draftUid]).catch(() => undefined);
    onClose(false);
  };


  return (
    <section className="compose" aria-labelledby="compose-heading" onKeyDown={(e) => e.key === 'Enter' && (e.ctrlKey || e.metaKey) && void send()}>
      <Typography.Title level={1} id="compose-heading" className="view-title">
        {start.subject || t.newMessage}
      </Typography.Title>
      <HeaderFields form={form} identities={identities} init={init} start={start} onChange={touch} />
      <Space className="editor-head" wrap>
        <span id="editor-label" className="editor-label">{t.editorLabel}</span>
        <Segmented<Mode> aria-label={t.editorMode} value={mode} onChange={switchMode} options={[{ value: 'rich', label: t.richText }, { value: 'plain', label: t.plainText }]} />
      </Space>
      {mode === 'rich' ? (
        <RichEditor ref={editor} onInput={touch} labelId="editor-label" />
      ) : (
        <Input.TextArea aria-labelledby="editor-label" value={plain} onChange={(e) => { setPlain(e.target.value); touch(); }} autoSize={{ minRows: 12 }} className="plain-editor" data-testid="plain-editor" />
      )}
      <AttachmentDrop
        items={uploads.items}
        onFiles={uploads.add}
        onRemove={uploads.remove}
        extra={(i) =>
          signing.certificates.length > 0 && i.status === 'done' && i.upload && isPdfFile(i.name, i.upload.contentType) ? (
            <AttachmentSignOptions
              filename={i.name}
              profile={profile}
              value={pdfSign[i.key] ?? { sign: false, stamp: defaultStamp(profile) }}
              onChange={(next) => {
                setPdfSign((all) => ({ ...all, [i.key]: next }));
                signing.setError(null);
              }}
            />
          ) : null
        }
      />
      {signing.certificates.length > 0 && <SignControls signing={signing} signingAnything={signingAnything} />}
      <PinDialog signing={signing} onConfirm={confirmPin} />
      <Space className="compose-actions" wrap>
        <Button type="primary" onClick={() => void send()} loading={sending} disabled={uploads.busy} data-testid="send">
          {sending ? t.sending : t.send}
        </Button>
        <Button onClick={() => void discard()}>{t.discard}</Button>
        <DraftStatusText status={draft.status} />
      </Space>
    </section>
  );
}

type Signing = ReturnType<typeof useSigning>;

/** From, To, Cc/Bcc (shown on demand) and Subject, with the recipient checks. */
function HeaderFields({ form, identities, init, start, onChange }: { form: FormInstance<Fields>; identities: User[]; init: ComposeInit; start: ReturnType<typeof composeStart>; onChange: () => void }) {
  const { t } = useT();
  const [showCopies, setShowCopies] = useState(start.cc.length > 0);
  const recipientRule = { validator: (_: unknown, list?: Recipient[]) => { const bad = (list ?? []).find((r) => !isAddress(r.value)); return bad ? Promise.reject(new Error(t.invalidAddress(bad.value))) : Promise.resolve(); } };
  const needSomeone = { validator: () => { const v = form.getFieldsValue(['to', 'cc', 'bcc']) as Partial<Fields>; return [v.to, v.cc, v.bcc].some((l) => l?.length) ? Promise.resolve() : Promise.reject(new Error(t.recipientsRequired)); } };
  const asRecipients = (list: { name?: string; address: string }[]) => list.map((a) => ({ value: a.address, label: recipientLabel(a.name, a.address) }));
  return (
    <Form
      form={form}
      name="compose"
      layout="horizontal"
      labelCol={{ flex: '120px' }}
      labelWrap
      initialValues={{ from: pickIdentity(identities, [...addressList(init.source?.to), ...addressList(init.source?.cc)].map((a) => a.address)), to: asRecipients(start.to), cc: asRecipients(start.cc), bcc: [], subject: start.subject }}
      onValuesChange={onChange}
      className="compose-form"
    >
      <Form.Item name="from" label={t.identity}>
        <Select options={identities.map((i) => ({ value: i.address, label: recipientLabel(i.name, i.address) }))} />
      </Form.Item>
      <Form.Item name="to" label={t.to} rules={[recipientRule, needSomeone]}>
        <AddressField />
      </Form.Item>
      {showCopies ? (
        <>
          <Form.Item name="cc" label={t.cc} rules={[recipientRule]}>
            <AddressField />
          </Form.Item>
          <Form.Item name="bcc" label={t.bcc} rules={[recipientRule]}>
            <AddressField />
          </Form.Item>
        </>
      ) : (
        <Button type="link" className="show-copies" onClick={() => setShowCopies(true)}>
          {t.showCcBcc}
        </Button>
      )}
      <Form.Item name="subject" label={t.subject}>
        <Input />
      </Form.Item>
    </Form>
  );
}

/** The "Sign" switch, the certificate to sign with, and what went wrong with the last signing. */
function SignControls({ signing, signingAnything }: { signing: Signing; signingAnything: boolean }) {
  const { t, lang } = useT();
  return (
    <Space className="compose-sign" wrap>
      <Switch id="compose-sign" checked={signing.on} onChange={(on) => { signing.setOn(on); signing.setError(null); }} data-testid="sign-switch" />
      <label htmlFor="compose-sign">{t.signSwitch}</label>
      {signingAnything && signing.certificates.length > 1 && (
        <Select
          aria-label={t.signCertificate}
          value={signing.serial}
          onChange={signing.setSerial}
          options={signing.certificates.map((c) => ({ value: c.serial, label: `${c.commonName} — ${t.signValidUntil(formatDate(c.notAfter, lang))}` }))}
        />
      )}
      {signingAnything && signing.certificates.length === 1 && (
        <Typography.Text type="secondary">
          {signing.certificates[0]!.commonName} — {t.signValidUntil(formatDate(signing.certificates[0]!.notAfter, lang))}
        </Typography.Text>
      )}
      {signing.error && (
        <span className="compose-sign-error" role="alert" data-testid="sign-error">
          {signing.error}
        </span>
      )}
    </Space>
  );
}

/** The PIN, asked at send time for everything signed in this message; never kept after the send. */
function PinDialog({ signing, onConfirm }: { signing: Signing; onConfirm: () => void }) {
  const { t } = useT();
  return (
    <Modal
      open={signing.pinOpen}
      title={t.pinTitle}
      okText={t.signAndSend}
      cancelText={t.cancel}
      onOk={onConfirm}
      onCancel={signing.closePin}
      destroyOnHidden
    >
      <Form layout="vertical" onFinish={onConfirm}>
        <Form.Item label={t.pinLabel} extra={t.pinHint} validateStatus={signing.pinError ? 'error' : undefined} help={signing.pinError ? t.pinRequired : undefined}>
          <Input.Password
            autoFocus
            autoComplete="off"
            inputMode="numeric"
            maxLength={12}
            value={signing.pin}
            onChange={(e) => signing.setPin(e.target.value)}
            data-testid="sign-pin"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The "Sign" switch: the user's own server-held certificates (GET /certificates), the choice, and the PIN asked at send time. */
function useSigning() {
  const [certificates, setCertificates] = useState<SigningCertificate[]>([]);
  const [on, setOn] = useState(false);
  const [serial, setSerial] = useState<string | undefined>();
  const [pinOpen, setPinOpen] = useState(false);
  const [pin, setPinValue] = useState('');
  const [pinError, setPinError] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // A server without signing, or a user without a certificate: no switch.
    api<SigningCertificate[]>('GET', '/certificates').then(
      (list) => {
        if (!live || !Array.isArray(list)) return;
        setCertificates(list);
        setSerial(list[0]?.serial);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return {
    certificates,
    on,
    setOn,
    serial,
    setSerial,
    pinOpen,
    pin,
    pinError,
    setPinError,
    error,
    setError,
    setPin: (v: string) => {
      setPinValue(v);
      setPinError(false);
    },
    askPin: () => {
      setPinValue('');
      setPinError(false);
      setPinOpen(true);
    },
    closePin: () => {
      setPinOpen(false);
      setPinValue('');
    },
  };
}
