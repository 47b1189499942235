// A queue worker in its own process, so a test can kill -9 it mid-delivery.
import { connect } from '../../core/db.js';
import { createLmtpClient } from '../../mailstore/index.js';
import { startQueueWorker } from '../../smtp/index.js';

const db = connect(process.env.GOVMAIL_TEST_DB_URL!);
const lmtp = createLmtpClient({ host: '127.0.0.1', port: Number(process.env.GOVMAIL_TEST_LMTP_PORT) });
startQueueWorker({ db, lmtp, hostname: 'mail.test.gov.vn', smarthost: process.env.GOVMAIL_TEST_SMARTHOST, queueRetryMaxSeconds: 3600, leaseSeconds: 3, pollMs: 50, retryBaseSeconds: 1 });
process.stdout.write('worker started\n');
