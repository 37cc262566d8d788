import { verify } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
	EXEC_DEFAULT_OUTPUT_CAP_BYTES,
	EXEC_DEFAULT_TIMEOUT_MS,
	TASK_DEFAULT_LIFETIME_MS,
	canonicalJson,
	execArgsSchema,
	signedTaskSchema,
	taskStatusSchema,
	utf8Length
} from '../../../src/lib/protocol/tasks';
import { signTask } from '../../../src/server/tasks/sign';
import { UserError } from '../../../src/server/errors';
import { AGENT_ID, keyPair } from './helpers';

describe('canonicalJson', () => {
	it('sorts keys at every level and leaves no whitespace', () => {
		expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 'é' }], c: null } })).toBe(
			'{"a":{"c":null,"d":[3,{"y":"é","z":1}]},"b":1}'
		);
	});
	it('gives the same bytes for the server object and its parsed wire copy', () => {
		const obj = { z: 'x', a: undefined, m: [1.5, true, 'q"uote'], n: { y: 2, x: 1 } };
		expect(canonicalJson(JSON.parse(JSON.stringify(obj)))).toBe(canonicalJson(obj));
	});
	it('refuses values JSON cannot carry faithfully', () => {
		expect(() => canonicalJson({ a: NaN })).toThrow();
		expect(() => canonicalJson({ a: Infinity })).toThrow();
		expect(() => canonicalJson([undefined])).toThrow();
		expect(() => canonicalJson({ a: new Date() })).toThrow();
		const cyclic: Record<string, unknown> = {};
		cyclic.self = cyclic;
		expect(() => canonicalJson(cyclic)).toThrow();
	});
	it('counts UTF-8 bytes like Buffer does', () => {
		for (const s of ['', 'abc', 'é', '€', '😀', 'a\ud800b', 'x'.repeat(1000) + '😀é'])
			expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
	});
});

describe('signTask', () => {
	const { privateKey, publicKey } = keyPair();

	it('builds a valid envelope with defaults filled in and a signature over its canonical form', () => {
		const before = Date.now();
		const signed = signTask(privateKey, { agentId: AGENT_ID, kind: 'exec', args: { command: '/bin/true' } });
		const { envelope, sig } = signed;
		expect(signedTaskSchema.safeParse(JSON.parse(JSON.stringify(signed))).success).toBe(true);
		expect(envelope.v).toBe(1);
		expect(envelope.aud).toBe(AGENT_ID);
		expect(envelope.kind).toBe('exec');
		expect(envelope.args).toEqual({
			command: '/bin/true',
			args: [],
			timeoutMs: EXEC_DEFAULT_TIMEOUT_MS,
			outputCapBytes: EXEC_DEFAULT_OUTPUT_CAP_BYTES
		});
		expect(envelope.iat).toBeGreaterThanOrEqual(before);
		expect(envelope.exp - envelope.iat).toBe(TASK_DEFAULT_LIFETIME_MS);
		expect(envelope.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
		expect(Buffer.from(envelope.nonce, 'base64url')).toHaveLength(16);
		const payload = Buffer.from(canonicalJson(envelope));
		expect(verify(null, payload, publicKey, Buffer.from(sig, 'base64url'))).toBe(true);
		// And not over anything else.
		const other = Buffer.from(canonicalJson({ ...envelope, aud: 'agent-other' }));
		expect(verify(null, other, publicKey, Buffer.from(sig, 'base64url'))).toBe(false);
	});

	it('uses a fresh nonce and id every time', () => {
		const a = signTask(privateKey, { agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' } });
		const b = signTask(privateKey, { agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' } });
		expect(a.envelope.nonce).not.toBe(b.envelope.nonce);
		expect(a.envelope.id).not.toBe(b.envelope.id);
	});

	it('honours id, issue time and lifetime', () => {
		const id = '7d0f2a4e-8f53-4b8a-9d2c-1f0b5e6a7c81';
		const s = signTask(privateKey, {
			agentId: AGENT_ID,
			kind: 'inventory',
			args: {},
			id,
			now: 1_700_000_000_000,
			lifetimeMs: 3_600_000
		});
		expect(s.envelope).toMatchObject({ id, iat: 1_700_000_000_000, exp: 1_700_003_600_000, args: {} });
	});

	it('refuses bad input with a message that says what to fix', () => {
		const bad = (input: Parameters<typeof signTask>[1], message: RegExp) => {
			let caught: unknown;
			try {
				signTask(privateKey, input);
			} catch (e) {
				caught = e;
			}
			expect(caught).toBeInstanceOf(UserError);
			expect((caught as Error).message).toMatch(message);
		};
		bad(
			{ agentId: AGENT_ID, kind: 'show', args: { table: 'disks' as 'cpus' } },
			/show task arguments.*table/
		);
		bad({ agentId: AGENT_ID, kind: 'exec', args: { command: '' } }, /command is required/);
		bad({ agentId: AGENT_ID, kind: 'exec', args: { command: 'x', timeoutMs: 500 } }, /at least 1 second/);
		bad({ agentId: AGENT_ID, kind: 'exec', args: { command: 'x', timeoutMs: 3_600_001 } }, /at most 1 hour/);
		bad(
			{ agentId: AGENT_ID, kind: 'exec', args: { command: 'x', outputCapBytes: 11 * 1024 * 1024 } },
			/10 MiB/
		);
		bad(
			{ agentId: AGENT_ID, kind: 'exec', args: { command: 'x', stdin: 'x'.repeat(1024 * 1024 + 1) } },
			/1 MB/
		);
		bad({ agentId: AGENT_ID, kind: 'exec', args: { command: 'x', cwd: 'relative/dir' } }, /absolute/);
		bad({ agentId: AGENT_ID, kind: 'exec', args: { command: 'x', env: { 'BAD-NAME': 'v' } } }, /letters/);
		bad({ agentId: AGENT_ID, kind: 'exec', args: { command: 'a\0b' } }, /NUL/);
		bad(
			{ agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' }, lifetimeMs: 24 * 3_600_000 + 1 },
			/24 hours/
		);
		bad({ agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' }, lifetimeMs: 0 }, /at least 1 second/);
		bad({ agentId: '', kind: 'show', args: { table: 'cpus' } }, /id of the agent/);
		bad({ agentId: AGENT_ID, kind: 'reboot' as 'show', args: { table: 'cpus' } }, /not a kind of task/);
		bad({ agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' }, id: 'not-a-uuid' }, /UUID/);
	});

	it('accepts exactly 1 MB of stdin and the limits at both ends', () => {
		expect(
			execArgsSchema.safeParse({
				command: 'cat',
				stdin: 'x'.repeat(1024 * 1024),
				timeoutMs: 1_000,
				outputCapBytes: 10 * 1024 * 1024
			}).success
		).toBe(true);
		expect(
			execArgsSchema.safeParse({ command: 'cat', timeoutMs: 3_600_000, outputCapBytes: 0 }).success
		).toBe(true);
	});

	it('needs the Ed25519 private key', () => {
		const { publicKey: pub } = keyPair();
		expect(() => signTask(pub, { agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' } })).toThrow(
			/Ed25519/
		);
		const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
		expect(() =>
			signTask(rsa.privateKey, { agentId: AGENT_ID, kind: 'show', args: { table: 'cpus' } })
		).toThrow(/Ed25519/);
	});
});

describe('task status schema', () => {
	it('accepts each state with its fields and rejects a mix-up', () => {
		const ok = [
			{ taskId: 't', state: 'queued', at: 1 },
			{ taskId: 't', state: 'running', startedAt: 1, stdoutDelta: 'x' },
			{ taskId: null, state: 'refused', reason: 'malformed', message: 'm', at: 1 },
			{
				taskId: 't',
				state: 'timed-out',
				startedAt: 1,
				finishedAt: 2,
				durationMs: 1,
				exitCode: null,
				signal: 'SIGTERM',
				stdout: { text: '', truncated: false, bytes: 0 }
			}
		];
		for (const s of ok) expect(taskStatusSchema.safeParse(s).success).toBe(true);
		expect(
			taskStatusSchema.safeParse({ taskId: 't', state: 'refused', reason: 'because', message: '', at: 1 })
				.success
		).toBe(false);
		expect(taskStatusSchema.safeParse({ taskId: 't', state: 'done', at: 1 }).success).toBe(false);
	});
});
