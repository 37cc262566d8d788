import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	TASK_REFUSAL_REASONS,
	type SignedTask,
	type TaskRefusalReason
} from '../../../src/lib/protocol/tasks';
import { signTask } from '../../../src/server/tasks/sign';
import { DEFAULT_ALLOWED_KINDS, allowListSchema } from '../../../agent/src/tasks/allowlist';
import { ReplayStore } from '../../../agent/src/tasks/replay-store';
import { runTask } from '../../../agent/src/tasks/runner';
import { verifyTask } from '../../../agent/src/tasks/verify';
import { AGENT_ID, context, keyPair, nodeScript, rawEnvelope, signRaw, tempDir } from './helpers';

const server = keyPair();
const stranger = keyPair();
const EXEC_ALLOWED = ['inventory', 'show', 'exec'];

let tmp: ReturnType<typeof tempDir>;
let marker: string;
beforeEach(() => {
	tmp = tempDir();
	marker = join(tmp.dir, 'ran');
});
afterEach(() => tmp.cleanup());

/** An exec task whose only effect is to append a line to the marker file: proof that it ran. */
function markerArgs() {
	return {
		...nodeScript("require('fs').appendFileSync(process.argv[1], 'ran\\n')", [marker]),
		timeoutMs: 10_000
	};
}
function signedExec(over: Partial<Parameters<typeof signTask>[1]> = {}): SignedTask {
	return signTask(server.privateKey, { agentId: AGENT_ID, kind: 'exec', args: markerArgs(), ...over });
}
function runs(): number {
	return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).length : 0;
}

async function expectRefused(
	signed: unknown,
	reason: TaskRefusalReason,
	over: Parameters<typeof context>[1] = {}
): Promise<void> {
	const ctx = context(server.publicKey, { allow: EXEC_ALLOWED, ...over });
	const before = runs();
	const final = await runTask(signed, ctx);
	expect(final.state).toBe('refused');
	expect(final.state === 'refused' && final.reason).toBe(reason);
	// Exactly one report, the refusal, and nothing ran.
	expect(ctx.statuses).toEqual([final]);
	expect(runs()).toBe(before);
}

describe('agent task verification', { timeout: 20_000 }, () => {
	it('runs an authentic, current, allowed task (the control for every refusal below)', async () => {
		const ctx = context(server.publicKey, { allow: EXEC_ALLOWED });
		const final = await runTask(signedExec(), ctx);
		expect(final.state).toBe('succeeded');
		expect(runs()).toBe(1);
		expect(ctx.statuses.map((s) => s.state)).toEqual(['running', 'succeeded']);
	});

	it('refuses a tampered signature', async () => {
		const signed = signedExec();
		const sig = Buffer.from(signed.sig, 'base64url');
		sig[10] ^= 0x01;
		await expectRefused({ ...signed, sig: sig.toString('base64url') }, 'bad-signature');
	});

	it('refuses any tampered envelope field', async () => {
		const tamper: [string, (e: Record<string, unknown>) => void][] = [
			['args', (e) => ((e.args as { args: string[] }).args[1] = 'tampered')],
			['timeout', (e) => ((e.args as { timeoutMs: number }).timeoutMs = 20_000)],
			['exp', (e) => (e.exp = (e.exp as number) + 1)],
			['iat', (e) => (e.iat = (e.iat as number) - 1)],
			['nonce', (e) => (e.nonce = 'A'.repeat(22))],
			['id', (e) => (e.id = '00000000-0000-4000-8000-000000000000')]
		];
		for (const [, change] of tamper) {
			const signed = structuredClone(signedExec()) as unknown as { envelope: Record<string, unknown> };
			change(signed.envelope);
			await expectRefused(signed, 'bad-signature');
		}
	});

	it('refuses a task signed with another key, and refuses everything if the pinned key is not Ed25519', async () => {
		const forged = signTask(stranger.privateKey, { agentId: AGENT_ID, kind: 'exec', args: markerArgs() });
		await expectRefused(forged, 'bad-signature');
		const { generateKeyPairSync } = await import('node:crypto');
		const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
		await expectRefused(signedExec(), 'bad-signature', { publicKey: rsa.publicKey });
	});

	it('refuses a task retargeted at another agent', async () => {
		await expectRefused(signedExec({ agentId: 'agent-other' }), 'wrong-audience');
	});

	it('refuses an expired task, allowing 30 s of clock skew', async () => {
		const now = Date.now();
		await expectRefused(signedExec({ now: now - 10 * 60_000, lifetimeMs: 5 * 60_000 }), 'expired');
		await expectRefused(signedExec({ now: now - 60_000, lifetimeMs: 29_000 }), 'expired');
		// Expired 20 s ago by our clock: within the skew, so it runs.
		const ctx = context(server.publicKey, { allow: EXEC_ALLOWED });
		expect((await runTask(signedExec({ now: now - 80_000, lifetimeMs: 60_000 }), ctx)).state).toBe(
			'succeeded'
		);
		expect(runs()).toBe(1);
	});

	it('refuses a task issued in the future beyond the skew', async () => {
		await expectRefused(signedExec({ now: Date.now() + 2 * 60_000 }), 'not-yet-valid');
		const ctx = context(server.publicKey, { allow: EXEC_ALLOWED });
		expect((await runTask(signedExec({ now: Date.now() + 10_000 }), ctx)).state).toBe('succeeded');
	});

	it('refuses a lifetime over 24 hours even when properly signed', async () => {
		const iat = Date.now();
		const env = rawEnvelope({ kind: 'exec', args: markerArgs(), iat, exp: iat + 24 * 3_600_000 + 1 });
		await expectRefused(signRaw(env, server.privateKey), 'lifetime-too-long');
	});

	it('refuses a replayed nonce, in memory and after a restart with the same replay file', async () => {
		const file = join(tmp.dir, 'replay.json');
		const signed = signedExec();
		const first = context(server.publicKey, { allow: EXEC_ALLOWED, replayStore: ReplayStore.open(file) });
		expect((await runTask(signed, first)).state).toBe('succeeded');
		expect(runs()).toBe(1);
		expect(statSync(file).mode & 0o777).toBe(0o600);

		const again = await runTask(JSON.parse(JSON.stringify(signed)), first);
		expect(again).toMatchObject({ state: 'refused', reason: 'replayed', taskId: signed.envelope.id });

		// "Restart": a new store and runner context reading the same file.
		await expectRefused(signed, 'replayed', { replayStore: ReplayStore.open(file) });
		expect(runs()).toBe(1);
	});

	it('refuses a replay of a task first refused for its kind, after exec is allowed', async () => {
		const store = ReplayStore.memory();
		const signed = signedExec();
		await expectRefused(signed, 'kind-not-allowed', { allow: DEFAULT_ALLOWED_KINDS, replayStore: store });
		await expectRefused(signed, 'replayed', { allow: EXEC_ALLOWED, replayStore: store });
	});

	it('keeps nonces only for the envelope lifetime and stays bounded', async () => {
		let clock = Date.now();
		const store = ReplayStore.memory({ capacity: 2, now: () => clock });
		const ctx = { allow: EXEC_ALLOWED, replayStore: store, now: () => clock };
		const a = signedExec({ now: clock, lifetimeMs: 60_000 });
		const b = signedExec({ now: clock, lifetimeMs: 60_000 });
		const c = signedExec({ now: clock, lifetimeMs: 60_000 });
		const r = await Promise.all([a, b].map((t) => runTask(t, context(server.publicKey, ctx))));
		expect(r.map((x) => x.state)).toEqual(['succeeded', 'succeeded']);
		await expectRefused(c, 'replay-cache-full', ctx);
		expect(store.size).toBe(2);
		// After exp + skew, the old nonces are dropped and new tasks fit again.
		clock += 60_000 + 30_000 + 1;
		const d = signedExec({ now: clock, lifetimeMs: 60_000 });
		await expectRefusedNot(d, { ...ctx, now: () => clock });
		expect(store.size).toBe(1);
	});

	async function expectRefusedNot(signed: SignedTask, over: Parameters<typeof context>[1]) {
		const final = await runTask(signed, context(server.publicKey, over));
		expect(final.state).toBe('succeeded');
	}

	it('fails safe when the replay file is corrupt: only tasks issued after the restart run', async () => {
		const file = join(tmp.dir, 'replay.json');
		let clock = Date.now();
		const at = { now: () => clock };
		const old = signedExec({ now: clock - 1_000 });
		writeFileSync(file, '{"v":1,"seen":{"not a nonce');
		const store = ReplayStore.open(file, at);
		await expectRefused(old, 'replay-cache-lost', { replayStore: store, ...at });
		// The loss is remembered across another restart.
		await expectRefused(signedExec({ now: clock }), 'replay-cache-lost', {
			replayStore: ReplayStore.open(file, at),
			...at
		});
		// Issued after the restart (plus the skew): certainly never seen before.
		const fresh = signedExec({ now: clock + 30_000 });
		const ctx = context(server.publicKey, { allow: EXEC_ALLOWED, replayStore: store, ...at });
		expect((await runTask(fresh, ctx)).state).toBe('succeeded');
		clock += 60_000;
		expect((await runTask(signedExec({ now: clock }), ctx)).state).toBe('succeeded');
		expect(runs()).toBe(2);
	});

	it('refuses to run when the nonce cannot be recorded on disk', async () => {
		const store = ReplayStore.open(join(tmp.dir, 'no-such-dir', 'replay.json'));
		await expectRefused(signedExec(), 'replay-cache-unwritable', { replayStore: store });
	});

	it('refuses exec by default: not in the allowlist', async () => {
		expect(allowListSchema.parse(undefined)).toEqual([
			'inventory',
			'show',
			'console-open',
			'console-close',
			'logs-open',
			'logs-config'
		]);
		await expectRefused(signedExec(), 'kind-not-allowed', { allow: allowListSchema.parse(undefined) });
	});

	it('refuses an allowed kind this agent does not know, and bad arguments for a known kind', async () => {
		const unknown = signRaw(rawEnvelope({ kind: 'reboot', args: {} }), server.privateKey);
		await expectRefused(unknown, 'unknown-kind', { allow: [...EXEC_ALLOWED, 'reboot'] });
		const badArgs = signRaw(
			rawEnvelope({ kind: 'exec', args: { ...markerArgs(), timeoutMs: 10 } }),
			server.privateKey
		);
		const ctx = context(server.publicKey, { allow: EXEC_ALLOWED });
		const final = await runTask(badArgs, ctx);
		expect(final).toMatchObject({ state: 'refused', reason: 'bad-args' });
		expect(final.state === 'refused' && final.message).toMatch(/timeoutMs.*at least 1 second/);
		expect(runs()).toBe(0);
	});

	it('refuses malformed input without throwing', async () => {
		const good = signedExec();
		const deep = '{"envelope":' + '['.repeat(100_000) + ']'.repeat(100_000) + ',"sig":"x"}';
		const cases: unknown[] = [
			undefined,
			null,
			42,
			'not json',
			deep,
			'x'.repeat(5 * 1024 * 1024),
			{},
			[],
			{ envelope: good.envelope },
			{ sig: good.sig },
			{ ...good, extra: 1 },
			{ ...good, sig: 'short' },
			{ ...good, envelope: { ...good.envelope, v: 2 } },
			{ ...good, envelope: { ...good.envelope, nonce: 'too-short' } },
			{ ...good, envelope: { ...good.envelope, id: 'not-a-uuid' } },
			{ ...good, envelope: { ...good.envelope, kind: 'EXEC; rm -rf /' } },
			{ ...good, envelope: { ...good.envelope, exp: good.envelope.iat } },
			{ ...good, envelope: { ...good.envelope, iat: 1.5 } },
			{ ...good, envelope: { ...good.envelope, extra: true } },
			{ ...good, envelope: { ...good.envelope, args: undefined } }
		];
		for (const c of cases) await expectRefused(c, 'malformed');
		// The id is reported when the envelope names one.
		const ctx = context(server.publicKey, { allow: EXEC_ALLOWED });
		const r = await runTask({ ...good, envelope: { ...good.envelope, v: 2 } }, ctx);
		expect(r).toMatchObject({ state: 'refused', reason: 'malformed', taskId: good.envelope.id });
		expect(r.state === 'refused' && r.message).toMatch(/envelope\.v/);
	});

	it('accepts the JSON text of a signed task as well as the parsed object', () => {
		const store = ReplayStore.memory();
		const text = JSON.stringify(
			signTask(server.privateKey, { agentId: AGENT_ID, kind: 'show', args: { table: 'memory' } })
		);
		const v = verifyTask(text, {
			agentId: AGENT_ID,
			publicKey: server.publicKey,
			allow: ['show'],
			replayStore: store
		});
		expect(v.ok).toBe(true);
		expect(v.ok && v.task).toMatchObject({ kind: 'show', args: { table: 'memory' } });
	});

	it('has a distinct refusal reason for every check', () => {
		expect(new Set(TASK_REFUSAL_REASONS).size).toBe(TASK_REFUSAL_REASONS.length);
	});
});
