import { GovmailError } from '../../core/errors.js';
import { withManageSieve, type ManageSieveClient, type SieveTarget } from './managesieve.js';
import { emptyModel, generateScript, parseScript, SCRIPT_NAME, validateModel, type SieveModel } from './sieve-script.js';

/**
 * The settings page's vacation reply and filters (GET/PUT /sieve): one script named "govmail" in the
 * mailbox's Sieve storage, read and written over ManageSieve. A script someone put there with another
 * client (Thunderbird's Sieve add-on, say) is reported as custom and only replaced when the request
 * says so explicitly; even then it is only deactivated, never deleted or overwritten in place.
 */
export interface SieveSettings {
  /** none: no active script; govmail: ours, `model` is what was saved; custom: not ours, not editable here. */
  status: 'none' | 'govmail' | 'custom';
  model: SieveModel;
  /** The active script's name when it is not ours. */
  activeScript?: string;
  /** Why our own script counts as custom: edited by another client. */
  customReason?: 'no-model' | 'edited';
}

export const customScriptPresent = (name: string) =>
  new GovmailError(
    'SIEVE_CUSTOM',
    `the mailbox has a Sieve script made elsewhere ("${name}"); confirm to replace it (it is kept, only deactivated)`,
    `hộp thư đang dùng bộ lọc Sieve tạo từ chương trình khác ("${name}"); cần xác nhận để thay thế (bộ lọc cũ được giữ lại, chỉ ngừng dùng)`,
    409,
  );

const scriptRefused = (errors: string) =>
  new GovmailError('SIEVE_INVALID', `the mail store's Sieve compiler refused the script: ${errors}`, `trình biên dịch Sieve của kho thư từ chối bộ lọc: ${errors}`, 400);

async function read(c: ManageSieveClient): Promise<SieveSettings> {
  const scripts = await c.listScripts();
  const active = scripts.find((s) => s.active);
  const ours = scripts.some((s) => s.name === SCRIPT_NAME) ? await c.getScript(SCRIPT_NAME) : undefined;
  const parsed = ours === undefined ? undefined : parseScript(ours);
  if (active && active.name !== SCRIPT_NAME) {
    return { status: 'custom', model: parsed?.kind === 'govmail' ? parsed.model : emptyModel(), activeScript: active.name };
  }
  if (parsed?.kind === 'custom') return { status: 'custom', model: emptyModel(), activeScript: SCRIPT_NAME, customReason: parsed.reason };
  if (!active || !parsed) return { status: 'none', model: parsed?.kind === 'govmail' ? parsed.model : emptyModel() };
  return { status: 'govmail', model: parsed.model };
}

export function getSieveSettings(target: SieveTarget, mailbox: string): Promise<SieveSettings> {
  return withManageSieve(target, mailbox, read);
}

export async function putSieveSettings(target: SieveTarget, mailbox: string, input: unknown, o: { replaceCustom?: boolean } = {}): Promise<SieveSettings> {
  const model = validateModel(input);
  const script = generateScript(model);
  return withManageSieve(target, mailbox, async (c) => {
    const now = await read(c);
    if (now.status === 'custom' && !o.replaceCustom) throw customScriptPresent(now.activeScript ?? SCRIPT_NAME);
    // Our generator should never produce what Dovecot refuses; if it does, nothing is stored.
    const check = await c.checkScript(script);
    if (!check.ok) throw scriptRefused(check.errors);
    await c.putScript(SCRIPT_NAME, script);
    await c.setActive(SCRIPT_NAME);
    return read(c);
  });
}
