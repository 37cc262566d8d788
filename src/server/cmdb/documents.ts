// Documents attached to CIs, stored in the database (cmdb_documents.content) so every app node sees them
// and a database backup holds them. The type is decided from the bytes, never from what the browser
// claims; the file name the browser sends is only a label to offer on download, never a path.
import { createHash } from 'node:crypto';
import { and, desc, eq, ilike, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { cmdbCis, cmdbClasses, cmdbDocuments } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { DOCUMENT_CATEGORIES } from '../../lib/protocol/cmdb';
import { ACCEPTED_TYPES, safeFilename, sniffType } from './document-types';

export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

/** A refused upload, with the HTTP status that says why (413 too large, 415 type not accepted). */
export class DocumentError extends UserError {
	constructor(
		message: string,
		readonly status: 400 | 413 | 415
	) {
		super(message);
	}
}

export const documentFields = z.object({
	category: z.enum(DOCUMENT_CATEGORIES, {
		message: `Category must be one of ${DOCUMENT_CATEGORIES.join(', ')}`
	}),
	description: z.string().trim().max(2000, 'Description: at most 2000 characters').default('')
});

const meta = {
	id: cmdbDocuments.id,
	ciId: cmdbDocuments.ciId,
	category: cmdbDocuments.category,
	filename: cmdbDocuments.filename,
	contentType: cmdbDocuments.contentType,
	size: cmdbDocuments.size,
	sha256: cmdbDocuments.sha256,
	description: cmdbDocuments.description,
	uploadedBy: cmdbDocuments.uploadedBy,
	uploadedAt: cmdbDocuments.uploadedAt
};

export interface DocumentMeta {
	id: number;
	ciId: number;
	ciName?: string;
	ciClass?: string;
	category: string;
	filename: string;
	contentType: string;
	size: number;
	sha256: string;
	description: string;
	uploadedBy: string;
	uploadedAt: Date;
}

export interface UploadInput {
	ciId: number;
	filename: string;
	content: Uint8Array;
	category: unknown;
	description?: unknown;
}

export async function uploadDocument(db: Db, actor: Actor, input: UploadInput): Promise<DocumentMeta> {
	const fields = documentFields.safeParse({ category: input.category, description: input.description ?? '' });
	if (!fields.success) throw new DocumentError(fields.error.issues[0].message, 400);
	const bytes = input.content;
	if (bytes.byteLength === 0) throw new DocumentError('The file is empty; choose another file.', 400);
	if (bytes.byteLength > MAX_DOCUMENT_BYTES)
		throw new DocumentError(
			`The file is ${(bytes.byteLength / 2 ** 20).toFixed(1)} MB; documents can be at most ${MAX_DOCUMENT_BYTES / 2 ** 20} MB.`,
			413
		);
	const kind = sniffType(bytes, input.filename);
	if (!kind)
		throw new DocumentError(
			`This kind of file can't be attached (Fleetdesk looks at the content, not the name). Accepted: ${ACCEPTED_TYPES}.`,
			415
		);
	const filename = safeFilename(input.filename, kind);
	const sha256 = createHash('sha256').update(bytes).digest('hex');
	return db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const [ci] = await t
			.select({ id: cmdbCis.id, name: cmdbCis.name })
			.from(cmdbCis)
			.where(eq(cmdbCis.id, input.ciId));
		if (!ci) throw new UserError(`There is no CI #${input.ciId}.`, 'NOT_FOUND');
		const [row] = await t
			.insert(cmdbDocuments)
			.values({
				ciId: ci.id,
				category: fields.data.category,
				filename,
				contentType: kind.type,
				size: bytes.byteLength,
				sha256,
				content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
				description: fields.data.description,
				uploadedBy: actor.name
			})
			.returning(meta);
		await audit(t, actor, {
			action: 'cmdb.document.upload',
			targetType: 'cmdb-document',
			targetId: row.id,
			targetName: `${ci.name}: ${filename}`,
			after: { ciId: ci.id, filename, contentType: kind.type, size: row.size, sha256, category: row.category }
		});
		return { ...row, ciName: ci.name };
	});
}

/** Metadata and bytes, for the download route. */
export async function readDocument(db: Db, id: number): Promise<DocumentMeta & { content: Buffer }> {
	const [row] = await db
		.select({ ...meta, content: cmdbDocuments.content })
		.from(cmdbDocuments)
		.where(eq(cmdbDocuments.id, id));
	if (!row) throw new UserError(`There is no document #${id}; it may have been deleted.`, 'NOT_FOUND');
	return row;
}

export async function listDocuments(db: Db, ciId: number): Promise<DocumentMeta[]> {
	return db
		.select(meta)
		.from(cmdbDocuments)
		.where(eq(cmdbDocuments.ciId, ciId))
		.orderBy(desc(cmdbDocuments.uploadedAt), desc(cmdbDocuments.id));
}

function escapeLike(s: string): string {
	return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Documents of any CI whose file name or description contains every word of `q`. */
export async function searchDocuments(
	db: Db,
	q: { q: string; category?: string; limit?: number }
): Promise<DocumentMeta[]> {
	const conds: SQL[] = [];
	for (const word of q.q.split(/\s+/).filter(Boolean).slice(0, 10)) {
		const like = `%${escapeLike(word)}%`;
		conds.push(or(ilike(cmdbDocuments.filename, like), ilike(cmdbDocuments.description, like))!);
	}
	if (q.category) conds.push(eq(cmdbDocuments.category, q.category));
	return db
		.select({ ...meta, ciName: cmdbCis.name, ciClass: cmdbClasses.name })
		.from(cmdbDocuments)
		.innerJoin(cmdbCis, eq(cmdbCis.id, cmdbDocuments.ciId))
		.innerJoin(cmdbClasses, eq(cmdbClasses.id, cmdbCis.classId))
		.where(conds.length ? and(...conds) : undefined)
		.orderBy(desc(cmdbDocuments.uploadedAt), desc(cmdbDocuments.id))
		.limit(q.limit ?? 200);
}

async function docWithCi(t: Db, id: number) {
	const [row] = await t
		.select({ ...meta, ciName: cmdbCis.name })
		.from(cmdbDocuments)
		.innerJoin(cmdbCis, eq(cmdbCis.id, cmdbDocuments.ciId))
		.where(eq(cmdbDocuments.id, id))
		.for('update', { of: cmdbDocuments });
	if (!row) throw new UserError(`There is no document #${id}; it may have been deleted.`, 'NOT_FOUND');
	return row;
}

export async function updateDocument(
	db: Db,
	actor: Actor,
	input: { id: number; category: string; description: string }
): Promise<DocumentMeta> {
	const v = documentFields.parse(input);
	return db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const before = await docWithCi(t, input.id);
		const [row] = await t
			.update(cmdbDocuments)
			.set({ category: v.category, description: v.description })
			.where(eq(cmdbDocuments.id, input.id))
			.returning(meta);
		if (before.category !== v.category || before.description !== v.description)
			await audit(t, actor, {
				action: 'cmdb.document.update',
				targetType: 'cmdb-document',
				targetId: row.id,
				targetName: `${before.ciName}: ${row.filename}`,
				before: { category: before.category, description: before.description },
				after: { category: v.category, description: v.description }
			});
		return { ...row, ciName: before.ciName };
	});
}

export async function deleteDocument(db: Db, actor: Actor, id: number): Promise<void> {
	await db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const doc = await docWithCi(t, id);
		await t.delete(cmdbDocuments).where(eq(cmdbDocuments.id, id));
		await audit(t, actor, {
			action: 'cmdb.document.delete',
			targetType: 'cmdb-document',
			targetId: id,
			targetName: `${doc.ciName}: ${doc.filename}`,
			before: {
				ciId: doc.ciId,
				filename: doc.filename,
				size: doc.size,
				sha256: doc.sha256,
				category: doc.category
			}
		});
	});
}
