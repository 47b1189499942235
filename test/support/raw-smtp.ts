import net from 'node:net';

/** Sends raw SMTP lines and returns every reply line; `data` is written verbatim after DATA's 354. */
export function rawSmtp(port: number, lines: string[], data?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let out = '';
    let step = 0;
    sock.on('data', (d) => {
      out += d.toString();
      if (!/\r\n$/.test(out) || /^\d{3}-[^\r\n]*\r\n$/m.test(out.split('\r\n').slice(-2).join('\r\n'))) return;
      const last = out.trimEnd().split('\r\n').pop()!;
      if (/^354/.test(last) && data) return sock.write(data);
      if (step < lines.length) sock.write(lines[step++] + '\r\n');
      else sock.end();
    });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}
