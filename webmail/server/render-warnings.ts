// The wording of the reader-facing warnings, Vietnamese and English. The client shows them as text
// (never as HTML); the values filled in come from parsed headers and are kept short.
import type { Warning } from './render-types.js';

const clip = (s: string) => (s.length > 120 ? s.slice(0, 119) + '…' : s);

export const warnings = {
  externalSender: (address: string): Warning => ({
    code: 'external-sender',
    vi: `Thư từ bên ngoài cơ quan (địa chỉ gửi thật: ${clip(address)}). Hãy thận trọng với liên kết và tệp đính kèm.`,
    en: `This message comes from outside the organisation (real sender address: ${clip(address)}). Be careful with links and attachments.`,
  }),
  noSender: (): Warning => ({
    code: 'external-sender',
    vi: 'Thư không có địa chỉ người gửi hợp lệ; không xác định được nguồn gốc. Hãy thận trọng.',
    en: 'This message has no valid sender address, so its origin is unknown. Be careful.',
  }),
  lookalikeDomain: (domain: string, suffix: string): Warning => ({
    code: 'lookalike-domain',
    vi: `Tên miền người gửi “${clip(domain)}” trông giống tên miền .${suffix} nhưng KHÔNG phải tên miền của cơ quan nhà nước. Có thể là thư giả mạo.`,
    en: `The sender's domain “${clip(domain)}” looks like a .${suffix} domain but is NOT a government domain. This may be a forgery.`,
  }),
  displayNameSpoof: (address: string): Warning => ({
    code: 'display-name-spoof',
    vi: `Tên hiển thị của người gửi chứa một địa chỉ hoặc tên miền khác với địa chỉ gửi thật (${clip(address)}). Đừng tin vào tên hiển thị.`,
    en: `The sender's display name contains an address or domain different from the real sender address (${clip(address)}). Do not trust the display name.`,
  }),
  senderNotAuthenticated: (domain: string, junk: boolean): Warning => ({
    code: 'sender-not-authenticated',
    vi: `Máy chủ thư đã KHÔNG xác thực được thư này đến từ “${clip(domain)}” (SPF/DKIM/DMARC không đạt)${junk ? ' và đã xếp nó vào Thư rác' : ''}. Có thể là thư giả mạo: đừng làm theo yêu cầu chuyển tiền, mật khẩu hay mở tệp đính kèm.`,
    en: `Our mail server could NOT verify that this message comes from “${clip(domain)}” (SPF/DKIM/DMARC failed)${junk ? ' and filed it as junk' : ''}. It may be forged: do not act on requests for money or passwords, or open its attachments.`,
  }),
  charsetUnsupported: (charset: string): Warning => ({
    code: 'charset-unsupported',
    vi: `Thư dùng bảng mã “${clip(charset)}” không được hỗ trợ; nội dung được hiển thị dạng văn bản thô và có thể bị lỗi phông chữ.`,
    en: `The message uses the unsupported character set “${clip(charset)}”; its content is shown as plain text and may be garbled.`,
  }),
  brokenMime: (): Warning => ({
    code: 'broken-mime',
    vi: 'Cấu trúc MIME của thư bị lỗi; nội dung hoặc tệp đính kèm có thể hiển thị không đầy đủ.',
    en: 'The MIME structure of this message is broken; its content or attachments may be incomplete.',
  }),
};
