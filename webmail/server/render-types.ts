// Types of the rendering API (re-exported by render.ts, which is what the webmail server imports).

export interface Address {
  name: string;
  address: string;
}

export interface RenderOptions {
  /** The reader allowed remote images for this message or this sender. */
  allowRemote: boolean;
  /** URL of our image proxy for a remote image, signed by the caller. */
  imageProxyUrl: (url: string) => string;
  /** Same-origin URL where an inline (cid:) part or an attachment is served, by the partId of `attachments`. */
  partUrl: (partId: string) => string;
  /** Our own domains: mail from them is internal. */
  localDomains: string[];
  /** Default 'gov.vn'. */
  governmentSuffix?: string;
  /**
   * Our MX's authserv-id (its host name): only Authentication-Results with this id are believed — the MX
   * removes any that arrive with it from outside.
   */
  authservId?: string;
  /**
   * The webmail origin, e.g. 'https://mail.example.gov.vn'. The message frame is sandboxed without
   * allow-same-origin, so its origin is opaque and CSP 'self' cannot be relied on to mean the webmail.
   * When given, relative part/proxy URLs are made absolute on it and the frame's CSP allows images from
   * exactly this origin; without it, URLs stay relative and the CSP uses 'self'.
   */
  origin?: string;
}

export type WarningCode = 'external-sender' | 'lookalike-domain' | 'display-name-spoof' | 'sender-not-authenticated' | 'charset-unsupported' | 'broken-mime';

export interface Warning {
  code: WarningCode;
  vi: string;
  en: string;
}

export interface AttachmentInfo {
  /** IMAP-style MIME part number ('2', '1.3'); '1' for a message that is a single non-multipart part. */
  partId: string;
  filename: string;
  contentType: string;
  size: number;
  /** True when the message body shows this part (an image referenced by cid: or Content-Location). */
  inline: boolean;
  contentId?: string;
}

export interface RenderedMessage {
  subject: string;
  from: Address | null;
  sender?: Address | null;
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  date: string | null;
  messageId: string | null;
  /** A complete HTML document for a sandboxed iframe (srcdoc), sanitised, with its own CSP <meta>. */
  html: string;
  /** Plain-text version. */
  text: string;
  /** Remote images that were blocked (0 when allowRemote). */
  blockedRemote: number;
  attachments: AttachmentInfo[];
  warnings: Warning[];
}
