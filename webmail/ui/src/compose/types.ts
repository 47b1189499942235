import type { RenderedMessage } from '../api';

export type ComposeMode = 'new' | 'reply' | 'replyAll' | 'forward' | 'draft';

/** What the compose form starts from: nothing, a message to answer or forward, or a draft to go on with. */
export interface ComposeInit {
  mode: ComposeMode;
  source?: RenderedMessage;
  /** A pre-filled recipient (e.g. from a directory click). */
  to?: string[];
}
