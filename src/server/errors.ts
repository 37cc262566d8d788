/** A failure the user can act on. The message is shown as is: say what was wrong and what to do. */
export class UserError extends Error {
	constructor(
		message: string,
		readonly code: 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHORIZED' = 'BAD_REQUEST'
	) {
		super(message);
		this.name = 'UserError';
	}
}
