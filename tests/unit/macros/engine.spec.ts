// The macro step engine with a fake console: what it types and when, wait-for against output that arrives
// after the step began (never the echo of the line just typed), timeouts, delays, refusals and stop.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Playback, formatMs } from '../../../src/server/consoles/macros/engine';
import { macroStepSchema, type MacroStep, type MacroStepInput } from '../../../src/lib/protocol/gang';

const enc = new TextEncoder();
const steps = (s: MacroStepInput[]): MacroStep[] => s.map((x) => macroStepSchema.parse(x));

function fakeConsole(refuse: string | null = null) {
	const sent: string[] = [];
	const states: string[] = [];
	let pb!: Playback;
	const make = (list: MacroStepInput[]) => {
		pb = new Playback(steps(list), {
			send: async (text) => {
				if (refuse) return refuse;
				sent.push(text);
				return null;
			},
			progress: (state, step, message) => states.push(`${step}:${state}:${message}`)
		});
		return pb;
	};
	const out = (s: string) => pb.feed(enc.encode(s));
	return { make, sent, states, out };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('macro step engine', () => {
	it('sends the line after a wait only once a later output line matches, and not on the echo', async () => {
		const c = fakeConsole();
		const pb = c.make([
			{ type: 'send', text: 'sleep 1; echo READY' },
			{ type: 'wait', pattern: 'READY', timeoutMs: 5000 },
			{ type: 'send', text: 'echo after' }
		]);
		const done = pb.run();
		await vi.advanceTimersByTimeAsync(0);
		expect(c.sent).toEqual(['sleep 1; echo READY\r']);
		// the terminal echoes the typed line (with the prompt): it contains READY but does not count
		c.out('\x1b[01;32mroot@h\x1b[0m:~# sleep 1; echo READY\r\n');
		await vi.advanceTimersByTimeAsync(900);
		expect(c.sent).toHaveLength(1);
		expect(pb.state).toBe('waiting');
		// split over two chunks, with colour
		c.out('\x1b[1mREA');
		await vi.advanceTimersByTimeAsync(10);
		expect(c.sent).toHaveLength(1);
		c.out('DY\x1b[0m\r\n');
		expect(await done).toBe('done');
		expect(c.sent).toEqual(['sleep 1; echo READY\r', 'echo after\r']);
		expect(c.states).toContain('2:matched:matched /READY/: READY');
		expect(c.states.at(-1)).toBe('3:done:ran 3 steps');
	});

	it('matches a prompt that never ends its line', async () => {
		const c = fakeConsole();
		const pb = c.make([
			{ type: 'send', text: 'ssh db1' },
			{ type: 'wait', pattern: 'password:\\s*$', ignoreCase: true },
			{ type: 'send', text: 'secret' }
		]);
		const done = pb.run();
		await vi.advanceTimersByTimeAsync(0);
		c.out('$ ssh db1\r\n');
		c.out("admin@db1's Password: ");
		expect(await done).toBe('done');
		expect(c.sent.at(-1)).toBe('secret\r');
	});

	it('stops with a clear status when the wait times out, sending nothing after it', async () => {
		const c = fakeConsole();
		const pb = c.make([
			{ type: 'send', text: 'true' },
			{ type: 'wait', pattern: '^NEVER$', timeoutMs: 1500 },
			{ type: 'send', text: 'echo unreachable' }
		]);
		const done = pb.run();
		await vi.advanceTimersByTimeAsync(0);
		c.out('NEVER MIND\r\n');
		await vi.advanceTimersByTimeAsync(1499);
		expect(pb.state).toBe('waiting');
		await vi.advanceTimersByTimeAsync(1);
		expect(await done).toBe('timed-out');
		expect(pb.message).toBe('timed out after 1.5 s waiting for /^NEVER$/');
		expect(pb.step).toBe(2);
		expect(c.sent).toEqual(['true\r']);
	});

	it('ignores output that came before the wait step began', async () => {
		const c = fakeConsole();
		const pb = c.make([
			{ type: 'send', text: 'make' },
			{ type: 'delay', ms: 1000 },
			{ type: 'wait', pattern: 'BUILD OK', timeoutMs: 2000 }
		]);
		const done = pb.run();
		await vi.advanceTimersByTimeAsync(0);
		c.out('$ make\r\nBUILD OK\r\n'); // during the delay: too early
		await vi.advanceTimersByTimeAsync(1000);
		expect(pb.state).toBe('waiting');
		await vi.advanceTimersByTimeAsync(2000);
		expect(await done).toBe('timed-out');
	});

	it('paces delays and stops at once when asked, mid-wait or mid-delay', async () => {
		const c = fakeConsole();
		const pb = c.make([
			{ type: 'send', text: 'a' },
			{ type: 'delay', ms: 60_000 },
			{ type: 'send', text: 'b' }
		]);
		const done = pb.run();
		await vi.advanceTimersByTimeAsync(30_000);
		expect(pb.state).toBe('delaying');
		pb.stop();
		expect(await done).toBe('stopped');
		expect(c.sent).toEqual(['a\r']);
		expect(pb.message).toBe('stopped at step 2 of 3');

		const c2 = fakeConsole();
		const pb2 = c2.make([
			{ type: 'wait', pattern: 'x', timeoutMs: 60_000 },
			{ type: 'send', text: 'no' }
		]);
		const done2 = pb2.run();
		await vi.advanceTimersByTimeAsync(10);
		pb2.stop();
		expect(await done2).toBe('stopped');
		expect(c2.sent).toEqual([]);
	});

	it('fails with the reason when the console refuses the input', async () => {
		const c = fakeConsole('Your input was dropped: you may only view this console.');
		const pb = c.make([
			{ type: 'send', text: 'reboot' },
			{ type: 'send', text: 'no' }
		]);
		expect(await pb.run()).toBe('failed');
		expect(pb.message).toBe('Your input was dropped: you may only view this console.');
		expect(pb.step).toBe(1);
	});

	it('sends a line without Enter when asked, and an empty line as Enter alone', async () => {
		const c = fakeConsole();
		const pb = c.make([
			{ type: 'send', text: 'y', enter: false },
			{ type: 'send', text: '' }
		]);
		expect(await pb.run()).toBe('done');
		expect(c.sent).toEqual(['y', '\r']);
	});

	it('refuses bad steps with a message that points at the problem', () => {
		const bad = macroStepSchema.safeParse({ type: 'wait', pattern: 'a(b', timeoutMs: 1000 });
		expect(bad.success).toBe(false);
		expect(bad.error!.issues[0].message).toMatch(/never closed.*at character 2/);
		expect(macroStepSchema.safeParse({ type: 'wait', pattern: '(a+)+$' }).success).toBe(false);
		expect(macroStepSchema.safeParse({ type: 'send', text: 'two\nlines' }).success).toBe(false);
		expect(macroStepSchema.safeParse({ type: 'delay', ms: -1 }).success).toBe(false);
		expect(formatMs(250)).toBe('250 ms');
		expect(formatMs(90_000)).toBe('1.5 min');
	});
});
