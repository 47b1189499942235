// Tests read results, not log lines: keep logs to warnings unless asked for more.
process.env.GOVMAIL_LOG_LEVEL ??= 'warn';
