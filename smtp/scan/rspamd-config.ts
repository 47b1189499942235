/**
 * The private rspamd's configuration, as text. It keeps Debian's rules, modules and scores
 * (`$CONFDIR/common.conf` from /etc/rspamd) and replaces only what must be ours: the workers on our
 * ports, the controller password, logging to stderr, Bayes in SQLite under the data folder (the
 * default backend is Redis, which we do not run), and ClamAV when a clamd is there.
 */
export interface RspamdConfigOptions {
  scanPort: number;
  controllerPort: number;
  /** rspamd's encrypted form of the controller password (`rspamadm pw`). */
  passwordHash: string;
  /** clamd's TCP port on loopback; absent: no antivirus. */
  clamdPort?: number;
  /** Resolvers for rspamd's own lookups (RBLs, SPF); absent: the system's. */
  dnsServers?: readonly string[];
  /** Where compiled regular expressions are kept (default: the database folder). */
  cacheDir?: string;
  /** Scanning workers (each a process); rspamd's default is one per core. */
  workers?: number;
}

const include = (name: string) => `  .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/${name}"`;

export function rspamdMainConf(o: RspamdConfigOptions): string {
  return [
    '# Written by GovMail at every start; edit local.d/*.local for site changes.',
    '.include "$CONFDIR/common.conf"',
    'options {',
    '  pidfile = "$RUNDIR/rspamd.pid";',
    '  .include "$CONFDIR/options.inc"',
    include('options.inc'),
    '}',
    'logging {',
    '  type = "console";',
    '  level = "warning";',
    '  systemd = true;',
    '}',
    'worker "normal" {',
    `  bind_socket = "127.0.0.1:${o.scanPort}";`,
    '  .include "$CONFDIR/worker-normal.inc"',
    ...(o.workers ? [`  count = ${o.workers};`] : []),
    '}',
    'worker "controller" {',
    `  bind_socket = "127.0.0.1:${o.controllerPort}";`,
    '  count = 1;',
    `  password = "${o.passwordHash}";`,
    `  enable_password = "${o.passwordHash}";`,
    '  static_dir = "${WWWDIR}";',
    '}',
    '',
  ].join('\n');
}

/** The files under local.d/, by name. */
export function rspamdLocalFiles(o: RspamdConfigOptions): Record<string, string> {
  const files: Record<string, string> = {
    'classifier-bayes.conf': [
      'backend = "sqlite3";',
      'cache { path = "$DBDIR/learn_cache.sqlite"; }',
      'statfile { symbol = "BAYES_HAM"; spam = false; path = "$DBDIR/bayes.ham.sqlite"; }',
      'statfile { symbol = "BAYES_SPAM"; spam = true; path = "$DBDIR/bayes.spam.sqlite"; }',
      '.include(try=true) "$LOCAL_CONFDIR/local.d/classifier-bayes.local"',
      '',
    ].join('\n'),
    'options.inc': [
      ...(o.dnsServers?.length ? [`dns { nameserver = [${o.dnsServers.map((s) => JSON.stringify(s)).join(', ')}]; }`] : []),
      ...(o.cacheDir ? [`hs_cache_dir = ${JSON.stringify(`${o.cacheDir}/`)};`] : []),
      '.include(try=true) "$LOCAL_CONFDIR/local.d/options.local"',
      '',
    ].join('\n'),
    // The greylist module wants Redis; the MX decides actions itself (see verdict.ts).
    'greylist.conf': 'enabled = false;\n',
    // GovMail signs its own mail (smtp/dkim.ts); rspamd would try, and log a failure, for every message.
    'dkim_signing.conf': 'enabled = false;\n',
    'arc.conf': 'sign_local = false;\nsign_authenticated = false;\nsign_inbound = false;\n',
  };
  if (o.clamdPort) {
    files['antivirus.conf'] = [
      'clamav {',
      '  type = "clamav";',
      `  servers = "127.0.0.1:${o.clamdPort}";`,
      '  symbol = "CLAM_VIRUS";',
      '  action = "reject";',
      '  scan_mime_parts = true;',
      '  scan_text_mime = true;',
      '  message = "${SCANNER}: virus found: ${VIRUS}";',
      '  timeout = 4s;',
      '  retransmits = 1;',
      '}',
      '',
    ].join('\n');
  }
  return files;
}

/** clamd's configuration: loopback TCP, in the foreground, logging to stderr. */
export function clamdConf(o: { port: number; databaseDir: string; pidFile: string; tempDir: string }): string {
  return [
    'Foreground yes',
    `TCPSocket ${o.port}`,
    'TCPAddr 127.0.0.1',
    `DatabaseDirectory ${o.databaseDir}`,
    `PidFile ${o.pidFile}`,
    `TemporaryDirectory ${o.tempDir}`,
    'LogVerbose no',
    'SelfCheck 3600',
    'MaxThreads 4',
    '',
  ].join('\n');
}

/** ClamAV signature files: a database folder without one would make clamd refuse to start. */
export const SIGNATURE_FILE = /\.(cvd|cld|cud|hdb|hsb|ndb|ldb|mdb|msb|cdb|yar|yara|pdb|gdb|wdb|ign2?|fp|sfp)$/i;
