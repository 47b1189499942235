import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { logger } from '../core/log.js';
import type { Config } from '../core/config.js';
import { authenticate, senderAddresses } from '../admin/index.js';
import type { RecipientLookups } from './recipient-cache.js';
import { checkRecipient, clientLimiter, envelopeTargets, limitOptions, mailFromViolation, rcptPrecheck, readMessage, refusedRecipient, smtpError, type TaggedAddress } from './session.js';
import { acceptMessage, receivedHeader, type PipelineDeps } from './pipeline.js';
import { instrumented } from './metrics.js';
import { isThrottled, recordAuthFailure } from './throttle.js';
import { headerFromAddresses, REPLIES, senderAllowed } from './rules.js';

/**
 * Submission for people's mail clients: 2587 with STARTTLS and 2465 with TLS from the first byte.
 * AUTH is offered only over TLS; the sender must be the authenticated mailbox or one of its aliases,
 * in MAIL FROM and in From: alike.
 */
export function createSubmissionServer(config: Config, deps: PipelineDeps, tls: { certFile: string; keyFile: string }, implicitTls: boolean, lookups: RecipientLookups): SMTPServer {
  const log = logger().child({ svc: implicitTls ? 'submissions' : 'submission' });
  const limiter = clientLimiter(config, config.submissionMaxRecipients);
  const limits = limitOptions(config, limiter);
  const options: SMTPServerOptions = {
    ...limits,
    onConnect(session, callback) {
      // RFC 4954 §4: no AUTH in the EHLO answer until the connection is encrypted.
      if (!session.secure) (session as { disabledCommands?: string[] }).disabledCommands = ['AUTH'];
      limits.onConnect!(session, callback);
    },
    onSecure(_socket, session, callback) {
      (session as { disabledCommands?: string[] }).disabledCommands = undefined;
      callback();
    },
    name: config.hostname,
    banner: 'GovMail submission',
    secure: implicitTls,
    key: readFileSync(tls.keyFile),
    cert: readFileSync(tls.certFile),
    size: config.maxMessageSize,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    authOptional: false,
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, session, callback) {
      const user = String(auth.username ?? '');
      (async () => {
        if (await isThrottled(deps.db, session.remoteAddress, user)) return callback(smtpError(REPLIES.tooManyAuthFailures));
        const address = await authenticate(deps.db, user, String(auth.password ?? ''));
        if (!address) {
          await recordAuthFailure(deps.db, session.remoteAddress, user);
          log.info({ ip: session.remoteAddress, user }, 'authentication failed');
          return callback(smtpError({ code: 535, message: '5.7.8 Authentication failed / Sai tên đăng nhập hoặc mật khẩu' }));
        }
        callback(null, { user: address });
      })().catch((err) => {
        log.warn({ err: err.message }, 'auth check failed');
        callback(smtpError(REPLIES.tempFailure));
      });
    },
    onMailFrom(address, session, callback) {
      if (!session.user) return callback(smtpError(REPLIES.authRequired));
      const refused = mailFromViolation(address.address, session);
      if (refused) return callback(smtpError(refused));
      senderAddresses(deps.db, String(session.user)).then(
        (allowed) => (senderAllowed(allowed, address.address) ? callback() : callback(smtpError(REPLIES.senderNotYours(address.address)))),
        () => callback(smtpError(REPLIES.tempFailure)),
      );
    },
    onRcptTo(address: TaggedAddress, session, callback) {
      const early = rcptPrecheck(address.address, session, limiter);
      if (early) return callback(smtpError(early));
      checkRecipient(lookups, address.address, String(session.user)).then(
        async (res) => {
          if ('code' in res) return callback(smtpError(await refusedRecipient(res, session, limiter)));
          address.govmail = res;
          callback();
        },
        () => callback(smtpError(REPLIES.tempFailure)),
      );
    },
    onData(stream, session, callback) {
      (async () => {
        const read = await readMessage(stream, config.maxMessageSize);
        if ('reply' in read) return callback(smtpError(read.reply));
        const user = String(session.user);
        const allowed = await senderAddresses(deps.db, user);
        const from = headerFromAddresses(read.message);
        const stranger = from.find((a) => !senderAllowed(allowed, a));
        if (!from.length || stranger) return callback(smtpError(REPLIES.senderNotYours(stranger ?? '(no From: header)')));
        const { local, remote } = envelopeTargets(session);
        const header = receivedHeader({ helo: session.hostNameAppearsAs, ip: session.remoteAddress, hostname: config.hostname, protocol: 'ESMTPSA' });
        const reply = await acceptMessage(deps, { sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : user, local, remote, message: Buffer.concat([Buffer.from(header), read.message]), authUser: user, clientIp: session.remoteAddress });
        if (reply.code >= 300) return callback(smtpError(reply));
        callback(null, reply.message);
      })().catch((err) => {
        log.error({ err: err.message }, 'message not accepted');
        callback(smtpError(REPLIES.tempFailure));
      });
    },
  };
  return new SMTPServer(instrumented(implicitTls ? 'submissions' : 'submission', options));
}
