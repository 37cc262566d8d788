import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, type SignedTask, type TaskStatus } from '../../../src/lib/protocol/tasks';
import { ReplayStore } from '../../../agent/src/tasks/replay-store';
import type { RunTaskContext } from '../../../agent/src/tasks/runner';

export const AGENT_ID = 'agent-0d6c1e2a';

export function keyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
	return generateKeyPairSync('ed25519');
}

/** Sign any object as an envelope, bypassing signTask's checks, to build what a forger or a buggy server could send. */
export function signRaw(envelope: Record<string, unknown>, privateKey: KeyObject): SignedTask {
	const sig = sign(null, Buffer.from(canonicalJson(envelope), 'utf8'), privateKey).toString('base64url');
	return { envelope, sig } as unknown as SignedTask;
}

export function rawEnvelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	const iat = Date.now();
	return {
		v: 1,
		id: randomUUID(),
		aud: AGENT_ID,
		kind: 'show',
		args: { table: 'memory' },
		iat,
		exp: iat + 60_000,
		nonce: randomBytes(16).toString('base64url'),
		...overrides
	};
}

export function tempDir(prefix = 'fd-tasks-'): { dir: string; cleanup(): void } {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A runner context that records every status report. */
export function context(
	publicKey: KeyObject,
	over: Partial<RunTaskContext> = {}
): RunTaskContext & { statuses: TaskStatus[] } {
	const statuses: TaskStatus[] = [];
	return {
		agentId: AGENT_ID,
		publicKey,
		allow: ['inventory', 'show'],
		replayStore: ReplayStore.memory(),
		onStatus: (s) => statuses.push(s),
		show: { sampleMs: 200 },
		...over,
		statuses
	};
}

/** node -e SCRIPT ARGS…: a real program on every OS the tests run on. */
export function nodeScript(script: string, args: string[] = []): { command: string; args: string[] } {
	return { command: process.execPath, args: ['-e', script, ...args] };
}

/** True while the process exists and is not a zombie waiting for its (re)parent to reap it. */
export function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch (err) {
		return (err as NodeJS.ErrnoException).code === 'EPERM';
	}
	if (process.platform !== 'linux') return true;
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
		return state !== 'Z' && state !== 'X';
	} catch {
		return false;
	}
}
