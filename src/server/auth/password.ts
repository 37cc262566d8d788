import { hash, verify } from '@node-rs/argon2';
import { UserError } from '../errors';

// argon2id (the library default), OWASP's second recommended profile: 19 MiB, 2 passes.
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

let dummyHash: Promise<string> | undefined;

export function checkPasswordPolicy(password: string): void {
	if (password.length < 10) throw new UserError('The password must be at least 10 characters long.');
	if (password.length > 256) throw new UserError('The password must be at most 256 characters long.');
}

export function hashPassword(password: string): Promise<string> {
	return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
	// Unknown users still pay for one verification so timing doesn't reveal which usernames exist.
	const target = passwordHash ?? (await (dummyHash ??= hash('not-a-real-password', OPTIONS)));
	try {
		const ok = await verify(target, password);
		return passwordHash !== null && ok;
	} catch {
		return false;
	}
}

export function generatePassword(): string {
	const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
	const bytes = crypto.getRandomValues(new Uint8Array(20));
	return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
