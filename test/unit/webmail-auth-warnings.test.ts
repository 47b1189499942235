import assert from 'node:assert/strict';
import { renderMessage } from '../../webmail/server/render.js';

const MX = 'mx.tinh.test.gov.vn';
const options = { allowRemote: false, imageProxyUrl: (u: string) => u, partUrl: (p: string) => p, localDomains: ['sonv.tinh.test.gov.vn'], authservId: MX };
const message = (headers: string[]) => Buffer.from([...headers, 'From: Giám đốc <giamdoc@sonv.tinh.test.gov.vn>', 'Subject: Chuyển khoản gấp', '', 'Nội dung', ''].join('\r\n'));
const codes = async (headers: string[], opts: Partial<typeof options> = {}) => (await renderMessage(message(headers), { ...options, ...opts })).warnings.map((w) => w.code);

describe('webmail — warning when our MX could not authenticate the sender', () => {
  it('warns on dmarc=fail in our own Authentication-Results, naming the domain and the junk filing', async () => {
    const r = await renderMessage(message(['X-GovMail-Junk: from-local-domain-without-our-dkim', `Authentication-Results: ${MX};`, ' spf=fail smtp.mailfrom=lua-dao.example;', ' dmarc=fail header.from=sonv.tinh.test.gov.vn']), options);
    const w = r.warnings.find((x) => x.code === 'sender-not-authenticated');
    assert.ok(w, JSON.stringify(r.warnings));
    assert.match(w.vi!, /KHÔNG xác thực được.*sonv\.tinh\.test\.gov\.vn.*Thư rác/);
    assert.match(w.en!, /could NOT verify.*filed it as junk/);
  });

  it('believes only our authserv-id, and the junk mark only beside it', async () => {
    assert.ok(!(await codes([`Authentication-Results: mx.other.example; dmarc=fail header.from=x`])).includes('sender-not-authenticated'));
    assert.ok(!(await codes(['X-GovMail-Junk: yes'])).includes('sender-not-authenticated'));
    assert.ok((await codes(['X-GovMail-Junk: dmarc=fail policy=quarantine', `Authentication-Results: ${MX}; dmarc=fail`])).includes('sender-not-authenticated'));
    assert.ok(!(await codes([`Authentication-Results: ${MX}; spf=pass; dkim=pass; dmarc=pass`])).includes('sender-not-authenticated'));
    assert.ok(!(await codes([`Authentication-Results: ${MX}; dmarc=fail`], { authservId: undefined })).includes('sender-not-authenticated'));
  });
});
