// E-mail addresses as Alertmanager reads them (Go net/mail ParseAddress): a bare address, or one with a display
// name, `hm <hm@example.com>` or `"Ops, night shift" <ops@example.org>` — the form Clowder documents for `from`.
import { z } from 'zod';

const ADDRESS = z.email();
/** `display name <address>` (the name optional, plain or quoted), or a bare address. */
const MAILBOX_RE = /^\s*(?:("(?:[^"\\\r\n]|\\.)*"|[^"<>@,;:\\\r\n]*?)\s*<([^<>\s]+)>|([^<>\s"]+))\s*$/;

/** The address part of a mailbox, or undefined when `text` is not one. */
export function mailboxAddress(text: string): string | undefined {
  const match = MAILBOX_RE.exec(text);
  if (!match) return undefined;
  const address = match[2] ?? match[3] ?? '';
  return ADDRESS.safeParse(address).success ? address : undefined;
}

export const isMailbox = (text: string): boolean => mailboxAddress(text) !== undefined;

export const MAILBOX_HINT = 'expected an e-mail address, optionally with a display name: ops@example.org or "Ops <ops@example.org>"';
