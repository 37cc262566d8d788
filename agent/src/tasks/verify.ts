import { verify as verifySignature, type KeyObject } from 'node:crypto';
import {
	TASK_ARGS_SCHEMAS,
	TASK_MAX_CLOCK_SKEW_MS,
	TASK_MAX_LIFETIME_MS,
	TASK_MAX_SIGNED_BYTES,
	TASK_REFUSAL_LABELS,
	canonicalJson,
	isKnownTaskKind,
	signedTaskSchema,
	type KnownTaskKind,
	type RefusedTaskStatus,
	type TaskArgsByKind,
	type TaskEnvelope,
	type TaskRefusalReason
} from '../../../src/lib/protocol/tasks';
import { isKindAllowed } from './allowlist';
import type { ReplayStore } from './replay-store';

export interface VerifyOptions {
	/** This agent's id (from its certificate); the envelope's audience must equal it. */
	agentId: string;
	/** The server's task-signing key, pinned at enrolment (Ed25519). */
	publicKey: KeyObject;
	/** Task kinds this host's config allows. */
	allow: readonly string[];
	replayStore: ReplayStore;
	/** Epoch ms; default Date.now(). */
	now?: number;
	maxSkewMs?: number;
}

/** A task that passed every check, with its arguments parsed for its kind. */
export type VerifiedTask = {
	[K in KnownTaskKind]: { envelope: TaskEnvelope<K>; kind: K; args: TaskArgsByKind[K] };
}[KnownTaskKind];

export type VerifyResult = { ok: true; task: VerifiedTask } | { ok: false; refusal: RefusedTaskStatus };

/**
 * Check a signed task before anything runs: structure, signature against the pinned key, audience,
 * lifetime and clock, nonce (replay), local allowlist, then the kind's arguments. Never throws:
 * anything wrong comes back as a refusal with its reason, ready to report to the server.
 *
 * The nonce is consumed as soon as the envelope is authentic, current and addressed to us, so an
 * envelope refused later (say, for its kind) cannot be replayed after the allowlist changes.
 */
export function verifyTask(input: unknown, opts: VerifyOptions): VerifyResult {
	const now = opts.now ?? Date.now();
	const skew = opts.maxSkewMs ?? TASK_MAX_CLOCK_SKEW_MS;
	let taskId: string | null = null;
	const refuse = (reason: TaskRefusalReason, detail?: string): VerifyResult => ({
		ok: false,
		refusal: {
			taskId,
			state: 'refused',
			reason,
			message: TASK_REFUSAL_LABELS[reason] + (detail ? ` (${detail})` : ''),
			at: now
		}
	});

	try {
		// 1. Structure.
		let raw: unknown = input;
		if (typeof input === 'string') {
			if (input.length > TASK_MAX_SIGNED_BYTES) return refuse('malformed', 'too large');
			try {
				raw = JSON.parse(input);
			} catch {
				return refuse('malformed', 'not JSON');
			}
		}
		taskId = guessTaskId(raw);
		const parsed = signedTaskSchema.safeParse(raw);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			return refuse('malformed', issue ? `${issue.path.join('.') || 'task'}: ${issue.message}` : undefined);
		}
		const { envelope, sig } = parsed.data;
		taskId = envelope.id;

		// 2. Signature, over the bytes the server signed: the envelope as received, canonicalised.
		const payload = Buffer.from(canonicalJson((raw as { envelope: unknown }).envelope), 'utf8');
		if (payload.length > TASK_MAX_SIGNED_BYTES) return refuse('malformed', 'too large');
		if (opts.publicKey.asymmetricKeyType !== 'ed25519')
			return refuse('bad-signature', 'the pinned key is not an Ed25519 key');
		let good = false;
		try {
			good = verifySignature(null, payload, opts.publicKey, Buffer.from(sig, 'base64url'));
		} catch {
			good = false;
		}
		if (!good) return refuse('bad-signature');

		// 3. Audience.
		if (envelope.aud !== opts.agentId) return refuse('wrong-audience');

		// 4. Lifetime and clock.
		if (envelope.exp - envelope.iat > TASK_MAX_LIFETIME_MS) return refuse('lifetime-too-long');
		if (envelope.iat > now + skew)
			return refuse('not-yet-valid', `issued ${seconds(envelope.iat - now)} ahead`);
		if (envelope.exp + skew <= now) return refuse('expired', `${seconds(now - envelope.exp)} ago`);

		// 5. Replay.
		const verdict = opts.replayStore.consume(envelope);
		if (verdict === 'replayed') return refuse('replayed');
		if (verdict === 'full') return refuse('replay-cache-full');
		if (verdict === 'lost') return refuse('replay-cache-lost');
		if (verdict === 'unwritable') return refuse('replay-cache-unwritable');

		// 6. Local allowlist, then the kind's own arguments.
		if (!isKindAllowed(opts.allow, envelope.kind)) return refuse('kind-not-allowed', envelope.kind);
		if (!isKnownTaskKind(envelope.kind)) return refuse('unknown-kind', envelope.kind);
		const args = TASK_ARGS_SCHEMAS[envelope.kind].safeParse(envelope.args);
		if (!args.success) {
			const issue = args.error.issues[0];
			return refuse('bad-args', issue ? `${issue.path.join('.') || 'args'}: ${issue.message}` : undefined);
		}
		return {
			ok: true,
			task: { envelope, kind: envelope.kind, args: args.data } as VerifiedTask
		};
	} catch (err) {
		return refuse('malformed', err instanceof Error ? err.message : undefined);
	}
}

/** Best effort, for the refusal report: the envelope's id when it looks like one. */
function guessTaskId(raw: unknown): string | null {
	if (typeof raw !== 'object' || raw === null) return null;
	const env = (raw as { envelope?: unknown }).envelope;
	if (typeof env !== 'object' || env === null) return null;
	const id = (env as { id?: unknown }).id;
	return typeof id === 'string' && id.length <= 128 ? id : null;
}

function seconds(ms: number): string {
	return `${Math.round(ms / 1000)} s`;
}
