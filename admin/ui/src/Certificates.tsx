import { useCallback, useEffect, useState, type HTMLAttributes, type ReactNode } from 'react';
import { Alert, Button, Checkbox, Form, Input, InputNumber, message, Modal, Popconfirm, Radio, Select, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { api, ApiError, type Page } from './api';
import { useT, type Strings } from './i18n';
import { showServerError } from './forms';
import { useElementWidth } from './size';

type Profile = 'organisation' | 'individual';
type Status = 'requested' | 'rejected' | 'issued' | 'revoked' | 'expired';

// Both languages at once: whoever picks this must see the warning whatever the console's language.
const LEGACY_P12 = {
  label: 'Tệp PKCS#12 kiểu cũ (3DES, SHA-1) / legacy PKCS#12 (3DES, SHA-1)',
  note: 'Yếu hơn mặc định (AES-256, SHA-256): chỉ dùng cho Windows cũ và gpgsm 2.2. / Weaker than the default (AES-256, SHA-256): only for old Windows and gpgsm 2.2.',
};

interface CertificateRow {
  id: number;
  agency: string;
  profile: Profile;
  holder: string | null;
  commonName: string;
  status: Status;
  serial: string | null;
  notAfter: string | null;
  requestedAt: string;
  renewalOf: string | null;
  reason: string | null;
}

interface Issued {
  serial: string;
  commonName: string;
  password: string;
  p12Url: string;
  pemUrl: string;
}

const STATUSES: Status[] = ['requested', 'issued', 'revoked', 'expired', 'rejected'];
const STATUS_COLORS: Record<Status, string> = { requested: 'gold', issued: 'green', revoked: 'red', expired: 'orange', rejected: 'default' };
/**
 * RFC 5280 reasons an administrator may give. certificateHold is left out on purpose: GovMail has
 * no way to release a hold, so it would be a permanent revocation under a misleading name.
 */
const REASONS = ['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'cACompromise', 'aACompromise', 'unspecified'] as const;

const dateText = (iso: string | null, lang: string) => (iso ? new Date(iso).toLocaleDateString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' }) : '');
const fileSafe = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
const blobUrl = (data: BlobPart, type: string) => URL.createObjectURL(new Blob([data], { type }));

/** Friendlier words for what the server refuses most often: a record that lacks the code the certificate needs. */
function friendlyField(t: Strings, err: ApiError): { field: 'agency' | 'mailbox'; text: string } | undefined {
  if (err.field === 'subject.cccd') return { field: 'mailbox', text: t.errNoCccd };
  if (err.field === 'subject.mst|mns') return { field: 'agency', text: t.errNoTaxCode };
  return undefined;
}

export function Certificates({ canApprove }: { canApprove: boolean }) {
  const { t, lang } = useT();
  const [toast, toastHolder] = message.useMessage();
  const [data, setData] = useState<Page<CertificateRow>>({ items: [], total: 0, page: 1, pageSize: 20 });
  const [page, setPage] = useState(1);
  const [agency, setAgency] = useState('');
  const [status, setStatus] = useState<Status>();
  const [profile, setProfile] = useState<Profile>();
  const [loading, setLoading] = useState(false);

  const [requestOpen, setRequestOpen] = useState(false);
  const [requestError, setRequestError] = useState<string>();
  const [requestForm] = Form.useForm<{ profile: Profile; agency: string; mailbox: string }>();
  const requestProfile = Form.useWatch('profile', requestForm) ?? 'organisation';

  const [approving, setApproving] = useState<CertificateRow>();
  const [approveError, setApproveError] = useState<string>();
  const [approveForm] = Form.useForm<{ validityDays?: number; legacy?: boolean }>();
  const legacyP12 = Form.useWatch('legacy', approveForm);
  const [issued, setIssued] = useState<Issued>();

  const [rejecting, setRejecting] = useState<CertificateRow>();
  const [rejectError, setRejectError] = useState<string>();
  const [rejectForm] = Form.useForm<{ reason: string }>();

  const [revoking, setRevoking] = useState<CertificateRow>();
  const [revokeError, setRevokeError] = useState<string>();
  const [revokeForm] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);

  const errorText = (err: unknown) => (err instanceof ApiError ? (lang === 'vi' ? err.messageVi : err.message) : String(err));

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const q = new URLSearchParams({ page: String(page), pageSize: '20', ...(agency ? { agency } : {}), ...(status ? { status } : {}), ...(profile ? { profile } : {}) });
      setData(await api<Page<CertificateRow>>('GET', `/api/admin/certificates?${q}`));
    } finally {
      setLoading(false);
    }
  }, [page, agency, status, profile]);
  useEffect(() => void load(), [load]);

  const closeIssued = () => {
    if (issued) {
      URL.revokeObjectURL(issued.p12Url);
      URL.revokeObjectURL(issued.pemUrl);
    }
    setIssued(undefined);
  };

  const renew = async (row: CertificateRow) => {
    try {
      const res = await api<{ id: number }>('POST', `/api/admin/certificates/${row.serial}/renew`);
      void toast.success(t.renewFiled(res.id));
      await load();
    } catch (err) {
      void toast.error(errorText(err));
    }
  };

  const filterChange = <V,>(set: (v: V) => void) => (v: V) => {
    setPage(1);
    set(v);
  };


  // A narrow box (a tablet beside the menu) gets four columns, the rest folded into them, so the
  // status and the actions stay on screen without scrolling the table sideways.
  const [tableBox, tableWidth] = useElementWidth<HTMLDivElement>(1000);
  const compact = tableWidth < 900;
  const small = (text: ReactNode, title?: string) => (
    <Typography.Text type="secondary" style={{ fontSize: 12, overflowWrap: 'anywhere' }} title={title}>
      {text}
    </Typography.Text>
  );
  const serialText = (s: string) => (
    <Typography.Text code copyable={{ text: s }} title={s}>
      {`${s.slice(0, 8)}…`}
    </Typography.Text>
  );
  const requestColumn: TableColumnsType<CertificateRow>[number] = {
    title: t.requestNo,
    key: 'id',
    width: compact ? 96 : undefined,
    render: (_: unknown, r) => (
      <>
        #{r.id}
        <br />
        {small(dateText(r.requestedAt, lang))}
      </>
    ),
  };
  const subjectColumn = (folded: boolean): TableColumnsType<CertificateRow>[number] => ({
    title: t.subjectName,
    key: 'subject',
    render: (_: unknown, r) => (
      <>
        <span style={{ overflowWrap: 'anywhere' }}>{r.commonName}</span>
        {r.holder && (
          <>
            <br />
            {small(r.holder)}
          </>
        )}
        {folded && (
          <>
            <br />
            {small(`${r.agency} · ${t.profiles[r.profile]}`)}
          </>
        )}
      </>
    ),
  });
  const agencyColumn: TableColumnsType<CertificateRow>[number] = {
    title: t.agency,
    key: 'agency',
    render: (_: unknown, r) => (
      <>
        {r.agency}
        <br />
        {small(t.profiles[r.profile])}
      </>
    ),
  };
  const statusColumn = (folded: boolean): TableColumnsType<CertificateRow>[number] => ({
    title: t.status,
    key: 'status',
    width: folded ? 150 : undefined,
    onCell: () => ({ 'data-col': 'status' }) as HTMLAttributes<HTMLTableCellElement>,
    render: (_: unknown, r) => (
      <Space orientation="vertical" size={2}>
        <Tag color={STATUS_COLORS[r.status]}>{t.certStatus[r.status]}</Tag>
        {r.renewalOf && small(<>{t.renewalOf} <Typography.Text code>{`${r.renewalOf.slice(0, 8)}…`}</Typography.Text></>, r.renewalOf)}
        {r.status === 'rejected' && r.reason && small(`${t.rejectedBecause}: ${r.reason}`)}
        {folded && r.serial && serialText(r.serial)}
        {folded && r.notAfter && small(`${t.validUntil} ${dateText(r.notAfter, lang)}`)}
      </Space>
    ),
  });
  const serialColumn: TableColumnsType<CertificateRow>[number] = { title: t.serial, dataIndex: 'serial', render: (s: string | null) => (s ? serialText(s) : null) };
  const validUntilColumn: TableColumnsType<CertificateRow>[number] = { title: t.validUntil, dataIndex: 'notAfter', render: (d: string | null) => dateText(d, lang) };
  const actionsColumn = (stacked: boolean): TableColumnsType<CertificateRow>[number] => ({
    title: t.actions,
    key: 'actions',
    width: stacked ? 104 : undefined,
    onCell: () => ({ 'data-col': 'actions' }) as HTMLAttributes<HTMLTableCellElement>,
    render: (_: unknown, r) => (
      <Space orientation={stacked ? 'vertical' : 'horizontal'} wrap size={4}>
        {r.status === 'requested' && canApprove && (
          <>
            <Button size="small" type="primary" onClick={() => setApproving(r)}>
              {t.approve}
            </Button>
            <Button size="small" onClick={() => setRejecting(r)}>
              {t.reject}
            </Button>
          </>
        )}
        {r.status === 'issued' && (
          <>
            <Popconfirm title={t.renewConfirm} okText={t.confirm} cancelText={t.cancel} onConfirm={() => renew(r)}>
              <Button size="small">{t.renew}</Button>
            </Popconfirm>
            <Button size="small" danger onClick={() => setRevoking(r)}>
              {t.revoke}
            </Button>
          </>
        )}
      </Space>
    ),
  });

  return (
    <>
      {toastHolder}
      <Space style={{ marginBottom: 16 }} wrap>
        <Input.Search placeholder={t.filterAgency} aria-label={t.filterAgency} allowClear onSearch={(v) => filterChange(setAgency)(v.trim())} style={{ width: 220 }} />
        <Select<Status>
          allowClear
          placeholder={t.anyStatus}
          aria-label={t.status}
          value={status}
          onChange={filterChange(setStatus)}
          style={{ width: 180 }}
          options={STATUSES.map((s) => ({ value: s, label: t.certStatus[s] }))}
          data-testid="filter-status"
        />
        <Select<Profile>
          allowClear
          placeholder={t.anyProfile}
          aria-label={t.profile}
          value={profile}
          onChange={filterChange(setProfile)}
          style={{ width: 220 }}
          options={(['organisation', 'individual'] as const).map((p) => ({ value: p, label: t.profiles[p] }))}
          data-testid="filter-profile"
        />
        <Button type="primary" onClick={() => setRequestOpen(true)} data-testid="request-certificate">
          {t.requestCertificate}
        </Button>
      </Space>
      <div ref={tableBox}>
        <Table<CertificateRow>
          rowKey="id"
          dataSource={data.items}
          loading={loading}
          size="middle"
          pagination={{ current: page, pageSize: data.pageSize, total: data.total, onChange: setPage, showSizeChanger: false }}
          scroll={compact ? undefined : { x: 'max-content' }}
          tableLayout={compact ? 'fixed' : undefined}
          columns={compact ? [requestColumn, subjectColumn(true), statusColumn(true), actionsColumn(true)] : [requestColumn, subjectColumn(false), agencyColumn, statusColumn(false), serialColumn, validUntilColumn, actionsColumn(false)]}
        />
      </div>

      <Modal
        title={t.requestCertificate}
        open={requestOpen}
        onCancel={() => setRequestOpen(false)}
        onOk={() => requestForm.submit()}
        okText={t.requestCertificate}
        cancelText={t.cancel}
        okButtonProps={{ loading: busy }}
        forceRender
      >
        {requestError && <Alert type="error" title={requestError} style={{ marginBottom: 12 }} />}
        <Form
          form={requestForm}
          name="certificate-request"
          layout="vertical"
          initialValues={{ profile: 'organisation' }}
          onFinish={async (v) => {
            setRequestError(undefined);
            setBusy(true);
            try {
              const res = await api<{ id: number }>('POST', '/api/admin/certificates/requests', { profile: v.profile, agency: v.agency.trim(), mailbox: v.mailbox.trim() });
              setRequestOpen(false);
              requestForm.resetFields();
              void toast.success(t.requestFiled(res.id));
              await load();
            } catch (err) {
              const friendly = err instanceof ApiError ? friendlyField(t, err) : undefined;
              if (friendly) requestForm.setFields([{ name: friendly.field, errors: [friendly.text] }]);
              // Subject fields come from the agency (organisation names, codes) or the holder's mailbox.
              else setRequestError(showServerError(requestForm, err, lang, { 'subject.email': 'mailbox', 'subject.title': 'mailbox', 'subject.commonName': v.profile === 'organisation' ? 'agency' : 'mailbox', 'subject.organization': 'agency', 'subject.mst': 'agency', 'subject.mns': 'agency' }));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="profile" label={t.profile} rules={[{ required: true, message: t.required }]}>
            <Radio.Group options={(['organisation', 'individual'] as const).map((p) => ({ value: p, label: t.profiles[p] }))} />
          </Form.Item>
          <Form.Item name="agency" label={t.agencyCode} rules={[{ required: true, whitespace: true, message: t.required }]}>
            <Input />
          </Form.Item>
          <Form.Item
            name="mailbox"
            label={t.holderMailbox}
            extra={requestProfile === 'organisation' ? t.holderHelpOrganisation : t.holderHelpIndividual}
            rules={[
              { required: true, whitespace: true, message: t.required },
              { type: 'email', message: t.invalidEmail },
            ]}
          >
            <Input type="email" autoComplete="off" />
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        title={t.approveTitle}
        open={approving !== undefined}
        onCancel={() => setApproving(undefined)}
        onOk={() => approveForm.submit()}
        okText={t.approve}
        cancelText={t.cancel}
        okButtonProps={{ loading: busy }}
        forceRender
      >
        {approveError && <Alert type="error" title={approveError} style={{ marginBottom: 12 }} />}
        <Typography.Paragraph>{approving ? t.approveText(approving.commonName) : ''}</Typography.Paragraph>
        <Form
          form={approveForm}
          name="approve"
          layout="vertical"
          onFinish={async (v) => {
            if (!approving) return;
            setApproveError(undefined);
            setBusy(true);
            try {
              const res = await api<{ serial: string; certificatePem: string; p12: string; password: string }>(
                'POST',
                `/api/admin/certificates/requests/${approving.id}/approve`,
                { ...(v.validityDays ? { validityDays: v.validityDays } : {}), ...(v.legacy ? { legacy: true } : {}) },
              );
              const p12 = Uint8Array.from(atob(res.p12), (c) => c.charCodeAt(0));
              setIssued({ serial: res.serial, commonName: approving.commonName, password: res.password, p12Url: blobUrl(p12, 'application/x-pkcs12'), pemUrl: blobUrl(res.certificatePem, 'application/x-pem-file') });
              setApproving(undefined);
              approveForm.resetFields();
              await load();
            } catch (err) {
              setApproveError(showServerError(approveForm, err, lang));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="validityDays" label={t.validityDays} extra={t.validityHelp}>
            <InputNumber min={1} max={1826} precision={0} style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="legacy" valuePropName="checked" style={{ marginBottom: legacyP12 ? 8 : undefined }}>
            <Checkbox data-testid="legacy-p12">{LEGACY_P12.label}</Checkbox>
          </Form.Item>
          {legacyP12 && <Alert type="warning" showIcon title={LEGACY_P12.note} data-testid="legacy-p12-note" />}
        </Form>
      </Modal>

      <Modal
        title={t.issuedTitle}
        open={issued !== undefined}
        closable={false}
        mask={{ closable: false }}
        keyboard={false}
        // Once closed, the password leaves the page: nothing keeps it in a hidden dialog.
        destroyOnHidden
        footer={
          <Button type="primary" onClick={closeIssued} data-testid="issued-close">
            {t.savedClose}
          </Button>
        }
      >
        {issued && (
          <div data-testid="issued">
            <Typography.Paragraph>{t.issuedFor(issued.commonName, issued.serial)}</Typography.Paragraph>
            <Alert type="warning" showIcon title={t.shownOnce} description={t.shownOnceWarning} style={{ marginBottom: 16 }} data-testid="shown-once" />
            <Typography.Paragraph>
              {t.p12Password}:{' '}
              <Typography.Text code copyable strong style={{ fontSize: 16 }} data-testid="p12-password">
                {issued.password}
              </Typography.Text>
            </Typography.Paragraph>
            <Space wrap>
              <Button type="primary" href={issued.p12Url} download={`${fileSafe(issued.commonName)}-${issued.serial.slice(0, 16)}.p12`} data-testid="download-p12">
                {t.downloadP12}
              </Button>
              <Button href={issued.pemUrl} download={`${fileSafe(issued.commonName)}-${issued.serial.slice(0, 16)}.pem`}>
                {t.downloadPem}
              </Button>
            </Space>
          </div>
        )}
      </Modal>

      <Modal
        title={t.rejectTitle}
        open={rejecting !== undefined}
        onCancel={() => setRejecting(undefined)}
        onOk={() => rejectForm.submit()}
        okText={t.reject}
        cancelText={t.cancel}
        okButtonProps={{ loading: busy }}
        forceRender
      >
        {rejectError && <Alert type="error" title={rejectError} style={{ marginBottom: 12 }} />}
        <Typography.Paragraph>{rejecting ? `#${rejecting.id} — ${rejecting.commonName}` : ''}</Typography.Paragraph>
        <Form
          form={rejectForm}
          name="reject"
          layout="vertical"
          onFinish={async (v) => {
            if (!rejecting) return;
            setRejectError(undefined);
            setBusy(true);
            try {
              await api('POST', `/api/admin/certificates/requests/${rejecting.id}/reject`, { reason: v.reason.trim() });
              void toast.success(t.rejectedDone(rejecting.id));
              setRejecting(undefined);
              rejectForm.resetFields();
              await load();
            } catch (err) {
              setRejectError(showServerError(rejectForm, err, lang));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="reason" label={t.rejectReason} rules={[{ required: true, whitespace: true, message: t.required }]}>
            <Input.TextArea rows={3} maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        title={t.revokeTitle}
        open={revoking !== undefined}
        onCancel={() => setRevoking(undefined)}
        onOk={() => revokeForm.submit()}
        okText={t.revoke}
        okButtonProps={{ danger: true, loading: busy }}
        cancelText={t.cancel}
        forceRender
      >
        {revokeError && <Alert type="error" title={revokeError} style={{ marginBottom: 12 }} />}
        <Typography.Paragraph>{revoking ? `${revoking.commonName} — ${t.serial} ${revoking.serial}` : ''}</Typography.Paragraph>
        <Alert type="warning" showIcon title={t.revokeWarning} style={{ marginBottom: 16 }} />
        <Form
          form={revokeForm}
          name="revoke"
          layout="vertical"
          onFinish={async (v) => {
            if (!revoking?.serial) return;
            setRevokeError(undefined);
            setBusy(true);
            try {
              await api('POST', `/api/admin/certificates/${revoking.serial}/revoke`, { reason: v.reason });
              void toast.success(t.revoked(revoking.serial));
              setRevoking(undefined);
              revokeForm.resetFields();
              await load();
            } catch (err) {
              setRevokeError(showServerError(revokeForm, err, lang));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="reason" label={t.revokeReason} rules={[{ required: true, message: t.required }]}>
            <Select
              options={REASONS.map((r) => ({
                value: r,
                title: t.revocationReasons[r],
                label: (
                  <>
                    {t.revocationReasons[r]} <Typography.Text type="secondary">({r})</Typography.Text>
                  </>
                ),
              }))}
            />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

