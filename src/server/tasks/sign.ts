import { randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
	TASK_ARGS_SCHEMAS,
	TASK_DEFAULT_LIFETIME_MS,
	TASK_ENVELOPE_VERSION,
	TASK_MAX_LIFETIME_MS,
	TASK_MAX_SIGNED_BYTES,
	canonicalJson,
	isKnownTaskKind,
	type KnownTaskKind,
	type SignedTask,
	type TaskArgsInputByKind,
	type TaskEnvelope
} from '../../lib/protocol/tasks';
import { UserError } from '../errors';

export interface SignTaskInput<K extends KnownTaskKind = KnownTaskKind> {
	/** The agent that may run it (the envelope's audience). */
	agentId: string;
	kind: K;
	/** Validated against the kind's schema; defaults (timeout, output cap …) are filled in and signed. */
	args: TaskArgsInputByKind[K];
	/** Task id (uuid); generated when absent. */
	id?: string;
	/** How long the agent may accept it; default 5 minutes, at most 24 hours. */
	lifetimeMs?: number;
	/** Issue time, epoch ms; default now. */
	now?: number;
}

/**
 * Build and sign a task envelope with the server's Ed25519 task-signing key. Bad arguments throw a
 * UserError (what was wrong, what to do); a key of the wrong type is a programming error.
 */
export function signTask<K extends KnownTaskKind>(
	privateKey: KeyObject,
	input: SignTaskInput<K>
): SignedTask<K> {
	if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
		throw new Error('signTask needs the Ed25519 private task-signing key');
	if (!isKnownTaskKind(input.kind))
		throw new UserError(`"${String(input.kind)}" is not a kind of task; use inventory, show or exec.`);
	if (typeof input.agentId !== 'string' || input.agentId.length < 1 || input.agentId.length > 128)
		throw new UserError('A task needs the id of the agent that is to run it.');
	const id = input.id ?? randomUUID();
	if (!z.uuid().safeParse(id).success) throw new UserError('A task id must be a UUID.');

	const lifetimeMs = input.lifetimeMs ?? TASK_DEFAULT_LIFETIME_MS;
	if (!Number.isInteger(lifetimeMs) || lifetimeMs < 1_000 || lifetimeMs > TASK_MAX_LIFETIME_MS)
		throw new UserError(
			'A task is valid for at least 1 second and at most 24 hours; choose a shorter lifetime.'
		);

	const schema: z.ZodType = TASK_ARGS_SCHEMAS[input.kind];
	const parsed = schema.safeParse(input.args);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
		throw new UserError(
			`The ${input.kind} task arguments are not valid${where}: ${issue?.message ?? 'invalid'}.`
		);
	}

	const iat = input.now ?? Date.now();
	const envelope = {
		v: TASK_ENVELOPE_VERSION,
		id,
		aud: input.agentId,
		kind: input.kind,
		args: parsed.data,
		iat,
		exp: iat + lifetimeMs,
		nonce: randomBytes(16).toString('base64url')
	} as TaskEnvelope<K>;

	const payload = Buffer.from(canonicalJson(envelope), 'utf8');
	if (payload.length > TASK_MAX_SIGNED_BYTES)
		throw new UserError('The task is too large to send; keep standard input under 1 MB.');
	const sig = sign(null, payload, privateKey).toString('base64url');
	return { envelope, sig };
}
