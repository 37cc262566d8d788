import { pgTable, bigserial, timestamp, customType } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** Used by @socket.io/postgres-adapter for payloads too large for NOTIFY. */
export const socketIoAttachments = pgTable('socket_io_attachments', {
	id: bigserial('id', { mode: 'number' }).unique(),
	createdAt: timestamp('created_at', { withTimezone: true }).defaultNow(),
	payload: bytea('payload')
});
