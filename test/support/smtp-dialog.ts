import net from 'node:net';
import tls from 'node:tls';

/**
 * A line-by-line SMTP client for tests that need to see each reply as it comes: from a chosen local
 * address (127.0.0.2 and up are other "clients" on loopback), with STARTTLS, and whether the server
 * has closed the connection.
 */
export interface SmtpDialog {
  /** The next complete reply (all lines of a multi-line reply). */
  reply(): Promise<string>;
  /** Sends one command and returns its reply. */
  send(line: string): Promise<string>;
  starttls(): Promise<void>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

export async function smtpDialog(port: number, localAddress = '127.0.0.1'): Promise<SmtpDialog> {
  let socket: net.Socket = net.connect({ host: '127.0.0.1', port, localAddress });
  let buffer = '';
  let waiting: ((r: string) => void) | undefined;
  let closed = false;
  let onClosed!: () => void;
  const closedPromise = new Promise<void>((r) => (onClosed = r));
  const replies: string[] = [];

  const take = () => {
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(buffer);
      if (!m) return;
      buffer = buffer.slice(m[0].length);
      replies.push(m[0]);
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(replies.shift()!);
      }
    }
  };
  const attach = (s: net.Socket) => {
    s.on('data', (d) => {
      buffer += d.toString('utf8');
      take();
    });
    s.on('close', () => {
      closed = true;
      onClosed();
      if (waiting) waiting('(closed)');
    });
    s.on('error', () => undefined);
  };
  attach(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  const reply = () =>
    new Promise<string>((resolve) => {
      if (replies.length) return resolve(replies.shift()!);
      if (closed) return resolve('(closed)');
      waiting = resolve;
    });
  const send = async (line: string) => {
    socket.write(line + '\r\n');
    return reply();
  };
  return {
    reply,
    send,
    async starttls() {
      const r = await send('STARTTLS');
      if (!r.startsWith('220')) throw new Error(`STARTTLS refused: ${r}`);
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      const secure = tls.connect({ socket, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', resolve);
        secure.once('error', reject);
      });
      socket = secure;
      attach(secure);
    },
    closed: closedPromise,
    isClosed: () => closed,
    end: () => socket.destroy(),
  };
}
