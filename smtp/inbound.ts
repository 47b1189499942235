import { readFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';
import { logger } from '../core/log.js';
import type { Config } from '../core/config.js';
import { checkRecipient, clientLimiter, envelopeTargets, limitOptions, mailFromViolation, rcptPrecheck, readMessage, refusedRecipient, smtpError, type TaggedAddress } from './session.js';
import type { RecipientLookups } from './recipient-cache.js';
import { acceptMessage, receivedHeader, type PipelineDeps } from './pipeline.js';
import { REPLIES } from './rules.js';
import { instrumented } from './metrics.js';
import { dnsResolver, senderCheck, trustedNetworks } from './sender-auth.js';
import { isLocalDomain } from '../admin/index.js';
import type { MessageScanner } from './scan/index.js';
import { recordRefusal } from './usage.js';

/**
 * The MX: takes mail from the Internet for our own domains only. Recipients are checked at RCPT;
 * a message is answered 250 only once it is in Dovecot or in the durable queue.
 */
export function createMxServer(config: Config, deps: PipelineDeps, tls: { certFile: string; keyFile: string }, lookups: RecipientLookups, scanner?: MessageScanner): SMTPServer {
  const log = logger().child({ svc: 'mx' });
  const checkSender = senderCheck({
    mode: config.senderChecks,
    hostname: config.hostname,
    resolver: dnsResolver(config.dnsServers?.split(',')),
    trusted: trustedNetworks(config.trustedNetworks ? config.trustedNetworks.split(',') : []),
    isLocalDomain: (d) => isLocalDomain(deps.db, d),
    onError: (err) => log.warn({ err: err.message }, 'sender authentication failed; delivered unmarked'),
  });
  const limiter = clientLimiter(config, config.smtpMaxRecipients);
  return new SMTPServer(instrumented('mx', {
    ...limitOptions(config, limiter),
    name: config.hostname,
    banner: 'GovMail ESMTP',
    size: config.maxMessageSize,
    key: readFileSync(tls.keyFile),
    cert: readFileSync(tls.certFile),
    disabledCommands: ['AUTH'],
    disableReverseLookup: true,
    hideSTARTTLS: false,
    logger: false,
    onMailFrom(address, session, callback) {
      const refused = mailFromViolation(address.address, session);
      callback(refused && smtpError(refused));
    },
    onRcptTo(address: TaggedAddress, session, callback) {
      const early = rcptPrecheck(address.address, session, limiter);
      if (early) return callback(smtpError(early));
      checkRecipient(lookups, address.address, undefined).then(
        async (res) => {
          if ('code' in res) return callback(smtpError(await refusedRecipient(res, session, limiter)));
          address.govmail = res;
          callback();
        },
        (err) => {
          log.warn({ err: err.message }, 'recipient check failed');
          callback(smtpError(REPLIES.tempFailure));
        },
      );
    },
    onData(stream, session, callback) {
      (async () => {
        const read = await readMessage(stream, config.maxMessageSize);
        if ('reply' in read) return callback(smtpError(read.reply));
        const { local } = envelopeTargets(session);
        const rcpt = session.envelope.rcptTo.length === 1 ? session.envelope.rcptTo[0].address : undefined;
        const header = receivedHeader({ helo: session.hostNameAppearsAs, ip: session.remoteAddress, hostname: config.hostname, protocol: session.secure ? 'ESMTPS' : 'ESMTP', rcpt });
        const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const checked = await checkSender(read.message, { ip: session.remoteAddress, helo: session.hostNameAppearsAs, sender });
        if ('reply' in checked) {
          log.info({ sender, ip: session.remoteAddress }, 'refused by the sender domain\'s DMARC policy');
          return callback(smtpError(checked.reply));
        }
        let message = checked.message;
        if (scanner) {
          const recipients = session.envelope.rcptTo.map((r) => r.address);
          const scan = await scanner.scan(message, { ip: session.remoteAddress, helo: session.hostNameAppearsAs, sender, recipients });
          if (scan.kind !== 'deliver') {
            log.info({ sender, ip: session.remoteAddress, outcome: scan.kind, reason: scan.reason }, scan.kind === 'refuse' ? 'refused by the scan' : 'scan could not decide; temporary refusal');
            if (scan.kind === 'refuse') recordRefusal(deps.db, local, message.length);
            return callback(smtpError(scan.reply));
          }
          message = Buffer.concat([Buffer.from(scan.headers), scan.message]);
        }
        // The 250 waits for Dovecot (or the queue), not for the usage counters: those are written after it.
        const reply = await acceptMessage(deps, { sender, local, remote: [], message: Buffer.concat([Buffer.from(header), message]), usageAfterReply: true });
        if (reply.code >= 300) return callback(smtpError(reply));
        callback(null, reply.message);
      })().catch((err) => {
        log.error({ err: err.message }, 'message not accepted');
        callback(smtpError(REPLIES.tempFailure));
      });
    },
  }));
}
