// Console credentials: sealed at rest with the master key (src/server/agents/secret.ts), opened only to seal
// them again for the one agent that runs the pipe (ECDH to its certificate key, bound to the pipe id).
import type { Config } from '../env';
import { masterKey, seal, unseal } from '../agents/secret';
import type { SealedCredential } from '../db/schema/consoles';
import { UserError } from '../errors';
import { sealSecret, secretPlaintextSchema, type SecretPlaintext } from '../../lib/protocol/sealed-secret';
import type { SealedSecret } from '../../lib/protocol/consoles';

type KeyConfig = Pick<Config, 'secret' | 'dataDir'>;

/** The label is authenticated, so a sealed credential cannot be moved to another console. */
const label = (consoleId: number) => `console-credential:${consoleId}`;

export function sealCredential(
	config: KeyConfig,
	consoleId: number,
	plain: SecretPlaintext
): SealedCredential {
	const mk = masterKey(config);
	const body = Buffer.from(JSON.stringify(secretPlaintextSchema.parse(plain)), 'utf8');
	const [, iv, tag, ct] = seal(mk, body, label(consoleId)).split('.');
	return { keyId: mk.id, iv, ct, tag };
}

export function openCredential(config: KeyConfig, consoleId: number, c: SealedCredential): SecretPlaintext {
	const plain = unseal(masterKey(config), ['v1', c.iv, c.tag, c.ct].join('.'), label(consoleId), c.keyId);
	return secretPlaintextSchema.parse(JSON.parse(plain.toString('utf8')));
}

/** The console's credential sealed for the agent (its certificate) and this pipe only. */
export async function sealForAgent(
	config: KeyConfig,
	consoleId: number,
	c: SealedCredential,
	agentCertificate: string | null,
	pipeId: string
): Promise<SealedSecret> {
	if (!agentCertificate)
		throw new UserError(
			'This agent was enrolled before credentials could be sealed for it: enrol it again to use a stored credential.'
		);
	return sealSecret(agentCertificate, pipeId, openCredential(config, consoleId, c));
}
