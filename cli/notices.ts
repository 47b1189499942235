import type { Config } from '../core/config.js';
import type { Sequelize } from '../core/db.js';
import { dueExpiryNotices, expiryNoticeMessage, recordExpiryNotice } from '../admin/index.js';
import { enqueue } from '../smtp/index.js';

/**
 * Certificate expiry warnings (60/30/7 days) to each holder's mailbox, through the durable queue: the
 * message and the record that it was sent commit together, so a warning is neither lost nor repeated.
 */
export async function sendCertificateExpiryNotices(db: Sequelize, config: Pick<Config, 'queueRetryMaxSeconds'>, now = new Date()): Promise<number> {
  const notices = await dueExpiryNotices(db, now);
  for (const notice of notices) {
    const from = `postmaster@${notice.holder.slice(notice.holder.lastIndexOf('@') + 1)}`;
    const message = await expiryNoticeMessage(notice, from);
    await db.transaction(async (t) => {
      await enqueue(db, { sender: '', recipients: [{ address: notice.holder, local: true }], message, expiresInSeconds: config.queueRetryMaxSeconds }, t);
      await recordExpiryNotice(db, notice, t);
    });
  }
  return notices.length;
}
