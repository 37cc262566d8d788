// Just enough of the telnet protocol (RFC 854/855, 1073 NAWS, 1091 TTYPE, 856 BINARY, 857 ECHO, 858 SGA):
// negotiation is answered and stripped from the output, the window size follows the terminal, data bytes
// 255 are escaped. Option state follows RFC 1143 closely enough that two peers never loop.

export const T = {
	SE: 240,
	BRK: 243,
	SB: 250,
	WILL: 251,
	WONT: 252,
	DO: 253,
	DONT: 254,
	IAC: 255,
	BINARY: 0,
	ECHO: 1,
	SGA: 3,
	TTYPE: 24,
	NAWS: 31
} as const;

/** Options we perform (answer DO with WILL) and options we let the other side perform (answer WILL with DO). */
const OURS = new Set<number>([T.BINARY, T.SGA, T.TTYPE, T.NAWS]);
const THEIRS = new Set<number>([T.BINARY, T.ECHO, T.SGA]);
const MAX_SB = 1024;
const TERMINAL_TYPE = 'XTERM-256COLOR';

type Opt = 'no' | 'yes' | 'want';
type State = 'data' | 'iac' | 'opt' | 'sb' | 'sb-iac';

export class TelnetCodec {
	private readonly us = new Map<number, Opt>();
	private readonly him = new Map<number, Opt>();
	private state: State = 'data';
	private verb = 0;
	private sb: number[] = [];
	private afterCr = false;

	constructor(
		/** Writes protocol bytes (answers, window size) to the connection. */
		private readonly send: (b: Buffer) => void,
		private size: { cols: number; rows: number }
	) {}

	/** Our opening offers: we will report the window size; we want the server to suppress go-ahead. */
	start(): void {
		this.offer(this.us, T.WILL, T.NAWS);
		this.offer(this.him, T.DO, T.SGA);
	}

	/** Telnet bytes from the server → terminal bytes, answering negotiation on the way. */
	decode(chunk: Uint8Array): Buffer {
		// Most reads are plain text: passed through as they are.
		if (this.state === 'data' && !chunk.includes(T.IAC) && !chunk.includes(0)) {
			if (chunk.length) this.afterCr = chunk[chunk.length - 1] === 13;
			return Buffer.from(chunk);
		}
		const out: number[] = [];
		for (const b of chunk) {
			switch (this.state) {
				case 'data':
					if (b === T.IAC) this.state = 'iac';
					else if (b === 0 && this.afterCr && this.him.get(T.BINARY) !== 'yes') this.afterCr = false;
					else {
						out.push(b);
						this.afterCr = b === 13;
					}
					break;
				case 'iac':
					if (b === T.IAC) {
						out.push(b);
						this.state = 'data';
					} else if (b >= T.WILL && b <= T.DONT) {
						this.verb = b;
						this.state = 'opt';
					} else if (b === T.SB) {
						this.sb = [];
						this.state = 'sb';
					} else this.state = 'data'; // NOP, GA, DM, AYT, ...: nothing to show
					break;
				case 'opt':
					this.negotiate(this.verb, b);
					this.state = 'data';
					break;
				case 'sb':
					if (b === T.IAC) this.state = 'sb-iac';
					else if (this.sb.length < MAX_SB) this.sb.push(b);
					break;
				case 'sb-iac':
					if (b === T.SE) {
						this.subnegotiation(this.sb);
						this.state = 'data';
					} else {
						if (b === T.IAC && this.sb.length < MAX_SB) this.sb.push(b);
						this.state = 'sb';
					}
					break;
			}
		}
		return Buffer.from(out);
	}

	/** Terminal bytes → telnet bytes: IAC doubled, and a bare CR sent as CR NUL unless in binary mode. */
	encode(data: Uint8Array): Buffer {
		const binary = this.us.get(T.BINARY) === 'yes';
		if (!data.includes(T.IAC) && (binary || !data.includes(13))) return Buffer.from(data);
		const out: number[] = [];
		for (let i = 0; i < data.length; i++) {
			const b = data[i];
			out.push(b);
			if (b === T.IAC) out.push(T.IAC);
			else if (b === 13 && !binary && data[i + 1] !== 10) out.push(0);
		}
		return Buffer.from(out);
	}

	resize(cols: number, rows: number): void {
		this.size = { cols, rows };
		if (this.us.get(T.NAWS) === 'yes') this.sendNaws();
	}

	breakSignal(): Buffer {
		return Buffer.from([T.IAC, T.BRK]);
	}

	private offer(table: Map<number, Opt>, verb: number, opt: number): void {
		table.set(opt, 'want');
		this.send(Buffer.from([T.IAC, verb, opt]));
	}

	private negotiate(verb: number, opt: number): void {
		const reply = (v: number) => this.send(Buffer.from([T.IAC, v, opt]));
		if (verb === T.DO || verb === T.DONT) {
			const was = this.us.get(opt) ?? 'no';
			if (verb === T.DO && OURS.has(opt)) {
				this.us.set(opt, 'yes');
				if (was === 'no') reply(T.WILL);
				if (opt === T.NAWS && was !== 'yes') this.sendNaws();
			} else if (verb === T.DO) reply(T.WONT);
			else if (was !== 'no') {
				this.us.set(opt, 'no');
				if (was === 'yes') reply(T.WONT);
			}
		} else {
			const was = this.him.get(opt) ?? 'no';
			if (verb === T.WILL && THEIRS.has(opt)) {
				this.him.set(opt, 'yes');
				if (was === 'no') reply(T.DO);
			} else if (verb === T.WILL) reply(T.DONT);
			else if (was !== 'no') {
				this.him.set(opt, 'no');
				if (was === 'yes') reply(T.DONT);
			}
		}
	}

	private subnegotiation(sb: number[]): void {
		// TTYPE SEND → TTYPE IS <type>
		if (sb[0] === T.TTYPE && sb[1] === 1 && this.us.get(T.TTYPE) === 'yes')
			this.send(Buffer.from([T.IAC, T.SB, T.TTYPE, 0, ...Buffer.from(TERMINAL_TYPE, 'ascii'), T.IAC, T.SE]));
	}

	private sendNaws(): void {
		const bytes: number[] = [];
		for (const v of [this.size.cols, this.size.rows]) {
			for (const b of [(v >> 8) & 0xff, v & 0xff]) {
				bytes.push(b);
				if (b === T.IAC) bytes.push(T.IAC);
			}
		}
		this.send(Buffer.from([T.IAC, T.SB, T.NAWS, ...bytes, T.IAC, T.SE]));
	}
}
