// The telnet kind: the protocol codec on its own, then real connections to the test telnet server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { T, TelnetCodec } from '../../../agent/src/modules/consoles/drivers/telnet-codec';
import { startTelnetServer, type TelnetServer } from '../../helpers/telnet-server';
import { fakeAgent, type FakeAgent } from './fake-ctx';

describe('telnet codec', () => {
	const codec = (cols = 80, rows = 24) => {
		const sent: number[][] = [];
		const c = new TelnetCodec((b) => sent.push([...b]), { cols, rows });
		return { c, sent };
	};

	it('strips negotiation from the output, even when split across reads, and unescapes IAC IAC', () => {
		const { c } = codec();
		const a = c.decode(Buffer.from([104, T.IAC, T.WILL]));
		const b = c.decode(Buffer.from([T.ECHO, 105, T.IAC, T.IAC, T.IAC, T.SB, T.TTYPE, 1, T.IAC, T.SE, 33]));
		expect([...a, ...b]).toEqual([104, 105, 255, 33]);
	});

	it('drops the NUL of a CR NUL pair, also across reads, and keeps other NULs', () => {
		const { c } = codec();
		const out = [
			c.decode(Buffer.from('a\r')),
			c.decode(Buffer.from('\0b\0c')),
			c.decode(Buffer.from('\r\0d'))
		];
		expect(Buffer.concat(out).toString('latin1')).toBe('a\rb\0c\rd');
	});

	it('agrees to what it supports, refuses the rest, and never answers twice', () => {
		const { c, sent } = codec(100, 255);
		c.decode(Buffer.from([T.IAC, T.DO, T.NAWS, T.IAC, T.DO, T.NAWS, T.IAC, T.DO, 99, T.IAC, T.WILL, 77]));
		expect(sent).toEqual([
			[T.IAC, T.WILL, T.NAWS],
			// 255 rows: the 0xFF byte is doubled inside the subnegotiation.
			[T.IAC, T.SB, T.NAWS, 0, 100, 0, 255, 255, T.IAC, T.SE],
			[T.IAC, T.WONT, 99],
			[T.IAC, T.DONT, 77]
		]);
	});

	it('answers the offers it made itself without a reply, and sends the window size on resize', () => {
		const { c, sent } = codec();
		c.start();
		expect(sent).toEqual([
			[T.IAC, T.WILL, T.NAWS],
			[T.IAC, T.DO, T.SGA]
		]);
		sent.length = 0;
		c.decode(Buffer.from([T.IAC, T.DO, T.NAWS, T.IAC, T.WILL, T.SGA]));
		expect(sent).toEqual([[T.IAC, T.SB, T.NAWS, 0, 80, 0, 24, T.IAC, T.SE]]);
		sent.length = 0;
		c.resize(132, 43);
		expect(sent).toEqual([[T.IAC, T.SB, T.NAWS, 0, 132, 0, 43, T.IAC, T.SE]]);
	});

	it('escapes IAC and sends a bare CR as CR NUL', () => {
		const { c } = codec();
		expect([...c.encode(Buffer.from([97, 255, 13]))]).toEqual([97, 255, 255, 13, 0]);
		expect([...c.encode(Buffer.from('a\r\n'))]).toEqual([97, 13, 10]);
		expect([...c.breakSignal()]).toEqual([T.IAC, T.BRK]);
	});
});

let server: TelnetServer;
beforeAll(async () => {
	server = await startTelnetServer();
});
afterAll(async () => {
	await server?.close();
});
let agent: FakeAgent | null = null;
afterEach(() => {
	agent?.stop();
	agent = null;
});

const type = (a: FakeAgent, pipeId: string, text: string) =>
	a.server('pipe:input', { pipeId, data: Buffer.from(text) });

describe('telnet consoles', { timeout: 30_000 }, () => {
	it('connect, negotiate the window and terminal type, type, resize, break, and reconnect', async () => {
		const a = (agent = fakeAgent());
		const r = await a.open({
			target: { kind: 'telnet', host: server.host, port: server.port },
			cols: 91,
			rows: 27,
			reconnect: { enabled: true, baseMs: 100, capMs: 1000 }
		});
		expect(r.state).toBe('open');
		await a.waitForText(r.pipeId, 'Fleetdesk test telnet\r\n$ ');
		type(a, r.pipeId, 'size\r');
		await a.waitForText(r.pipeId, '91x27');
		type(a, r.pipeId, 'ttype\r');
		await a.waitForText(r.pipeId, 'XTERM-256COLOR');
		a.server('pipe:resize', { pipeId: r.pipeId, cols: 120, rows: 40 });
		type(a, r.pipeId, 'size\r');
		await a.waitForText(r.pipeId, '120x40');
		type(a, r.pipeId, 'ff\r');
		await a.waitForText(r.pipeId, '<\xff>');
		a.server('pipe:break', { pipeId: r.pipeId });
		await a.waitFor(() => server.seen.breaks === 1, 'the break');
		// Negotiation never shows in the output.
		expect(a.text(r.pipeId)).not.toMatch(/[\xfb-\xfe]/);

		const before = server.seen.connections;
		server.dropClients();
		await a.waitFor(() => a.states(r.pipeId).some((s) => s.state === 'retrying'), 'retrying');
		expect(a.states(r.pipeId).find((s) => s.state === 'retrying')?.message).toMatch(
			/^telnet: the connection closed; retrying in/
		);
		await a.waitFor(
			() => server.seen.connections === before + 1 && a.states(r.pipeId).at(-1)?.state === 'open',
			'reconnect'
		);
		type(a, r.pipeId, 'echo again\r');
		await a.waitForText(r.pipeId, /again\r\nagain\r\n/);
	});

	it('retries a refused connection with backoff, and says so', async () => {
		const a = (agent = fakeAgent());
		const r = await a.open({
			target: { kind: 'telnet', host: '127.0.0.1', port: 1 },
			reconnect: { enabled: true, baseMs: 100, capMs: 1000 }
		});
		expect(r.state).toBe('retrying');
		expect(a.states(r.pipeId).at(-1)?.message).toMatch(
			/^telnet: 127\.0\.0\.1:1 refused the connection; retrying in [\d.]+ s$/
		);
		await a.waitFor(
			() => a.states(r.pipeId).filter((s) => s.state === 'retrying').length >= 3,
			'more retries'
		);
	});

	it('fails at once when reconnecting is off', async () => {
		const a = (agent = fakeAgent());
		await expect(
			a.open({
				target: { kind: 'telnet', host: '127.0.0.1', port: 1 },
				reconnect: { enabled: false, baseMs: 100, capMs: 1000 }
			})
		).rejects.toThrow('telnet: 127.0.0.1:1 refused the connection');
	});
});
