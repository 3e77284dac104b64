import { simpleParser, ParsedMail } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  raw: string;
}

/**
 * A real SMTP server in the test process: messages arrive over TCP through nodemailer and are
 * parsed with a real MIME parser. It can be stopped and started on the same port to play an outage.
 */
export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  private server: SMTPServer | null = null;
  private waiters: (() => void)[] = [];
  /** While set, received messages are recorded but not acknowledged: a slow mail server. */
  private acceptance: Promise<void> | null = null;
  port = 0;

  /** Holds every acknowledgement until the returned function is called. */
  holdAcceptance(): () => void {
    let release!: () => void;
    this.acceptance = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.acceptance = null;
      release();
    };
  }

  async start(port = this.port): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = await simpleParser(raw);
          this.messages.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), parsed, raw });
          this.waiters.splice(0).forEach((wake) => wake());
          if (this.acceptance) await this.acceptance;
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves with the first message (already received or arriving later) that matches. */
  async waitFor(match: (mail: CapturedMail) => boolean, timeoutMs = 15_000): Promise<CapturedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`No matching email within ${timeoutMs} ms (received ${this.messages.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 250));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }
}
