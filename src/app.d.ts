import type { Principal } from '$server/auth/permissions';

declare global {
	namespace App {
		interface Locals {
			user: Principal | null;
			session: { id: string; expiresAt: Date } | null;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
