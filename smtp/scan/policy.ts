import type { Config } from '../../core/config.js';
import { parseSize } from '../../core/config.js';
import { DEFAULT_BLOCKED_EXTENSIONS, type AttachmentPolicy } from './attachments.js';
import type { SpamThresholds } from './verdict.js';

/**
 * Scan policy per recipient domain: spam thresholds and the attachment policy, from the config's
 * defaults and its `scanDomains` overrides. One message to several domains gets the strictest of
 * them, since one DATA has one answer.
 */
export interface DomainScanPolicy {
  thresholds: SpamThresholds;
  attachments: AttachmentPolicy;
}

export function extensionList(text: string): string[] {
  return text
    .split(',')
    .map((e) => e.trim().replace(/^\./, '').toLowerCase())
    .filter(Boolean);
}

export function domainScanPolicy(config: Config, domain: string): DomainScanPolicy {
  const o = config.scanDomains?.[domain.toLowerCase()] ?? {};
  const blocked = o.blockedExtensions ?? config.blockedExtensions;
  return {
    thresholds: { reject: o.spamRejectScore ?? config.spamRejectScore, junk: o.spamJunkScore ?? config.spamJunkScore },
    attachments: {
      blockedExtensions: blocked === undefined ? DEFAULT_BLOCKED_EXTENSIONS : extensionList(blocked),
      maxAttachmentBytes: parseSize(o.maxAttachmentSize ?? config.maxAttachmentSize),
      encryptedArchives: o.encryptedArchives ?? config.encryptedArchives,
    },
  };
}

const ORDER = { refuse: 0, junk: 1, allow: 2 } as const;

/** The strictest policy over the domains a message goes to (default policy when there are none). */
export function strictestPolicy(policies: readonly DomainScanPolicy[], fallback: DomainScanPolicy): DomainScanPolicy {
  if (!policies.length) return fallback;
  const sizes = policies.map((p) => p.attachments.maxAttachmentBytes).filter((n) => n > 0);
  return {
    thresholds: { reject: Math.min(...policies.map((p) => p.thresholds.reject)), junk: Math.min(...policies.map((p) => p.thresholds.junk)) },
    attachments: {
      blockedExtensions: [...new Set(policies.flatMap((p) => p.attachments.blockedExtensions))],
      maxAttachmentBytes: sizes.length ? Math.min(...sizes) : 0,
      encryptedArchives: policies.map((p) => p.attachments.encryptedArchives).sort((a, b) => ORDER[a] - ORDER[b])[0]!,
    },
  };
}
