/** Helpers for the Documents tab: types, sizes, and the upload request (XMLHttpRequest for progress). */
import { DOCUMENT_CATEGORIES, type DocumentCategory } from '$lib/protocol/cmdb';

export { DOCUMENT_CATEGORIES, type DocumentCategory };

export interface CiDocument {
	id: number;
	ciId: number;
	category: string;
	filename: string;
	contentType: string;
	size: number;
	sha256: string;
	description: string;
	uploadedBy: string | null;
	uploadedAt: string | Date;
}

/** The server refuses larger files (413); checking first saves uploading 200 MB to be told so. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export const CATEGORY_LABELS: Record<DocumentCategory, string> = {
	manual: 'Manual',
	contract: 'Contract',
	licence: 'Licence',
	drawing: 'Drawing',
	screenshot: 'Screenshot',
	photo: 'Photo',
	report: 'Report',
	other: 'Other'
};

export function categoryLabel(c: string): string {
	return CATEGORY_LABELS[c as DocumentCategory] ?? c;
}

export function formatBytes(n: number): string {
	if (n < 1024) return `${n} B`;
	const units = ['KB', 'MB', 'GB'];
	let v = n / 1024;
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** A first guess the user can change before uploading. */
export function guessCategory(file: { name: string; type: string }): DocumentCategory {
	const name = file.name.toLowerCase();
	if (/screen ?shot|bildschirmfoto|capture/.test(name) && file.type.startsWith('image/')) return 'screenshot';
	if (file.type.startsWith('image/')) return 'photo';
	if (/\.(dwg|dxf|vsdx?|drawio)$/.test(name)) return 'drawing';
	if (/manual|handbook|guide/.test(name)) return 'manual';
	if (/contract|agreement/.test(name)) return 'contract';
	if (/licen[cs]e/.test(name)) return 'licence';
	if (/report/.test(name)) return 'report';
	return 'other';
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatWhen(v: string | Date | null | undefined): string {
	if (!v) return '—';
	const d = new Date(v);
	return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function downloadUrl(id: number): string {
	return `/api/cmdb/documents/${id}`;
}

export class UploadError extends Error {}

/**
 * Uploads one file as multipart/form-data. XMLHttpRequest rather than fetch because only it reports
 * upload progress. Same origin, so the browser adds the session cookie and the Origin header.
 */
export function uploadDocument(
	ciId: number,
	file: File,
	fields: { category: string; description: string },
	onprogress: (fraction: number) => void,
	signal?: AbortSignal
): Promise<CiDocument> {
	return new Promise((resolve, reject) => {
		const body = new FormData();
		body.append('file', file, file.name);
		body.append('category', fields.category);
		body.append('description', fields.description);
		const xhr = new XMLHttpRequest();
		xhr.open('POST', `/api/cmdb/cis/${ciId}/documents`);
		xhr.responseType = 'text';
		xhr.setRequestHeader('accept', 'application/json');
		xhr.upload.onprogress = (e) => {
			if (e.lengthComputable && e.total > 0) onprogress(e.loaded / e.total);
		};
		xhr.onload = () => {
			let json: unknown = null;
			try {
				json = JSON.parse(xhr.responseText);
			} catch {
				// Not JSON (e.g. a proxy's error page): fall through to the status-based message.
			}
			if (xhr.status >= 200 && xhr.status < 300 && json && typeof json === 'object' && 'document' in json) {
				onprogress(1);
				resolve((json as { document: CiDocument }).document);
				return;
			}
			const message = (json as { error?: { message?: string } } | null)?.error?.message;
			reject(new UploadError(message || statusMessage(xhr.status)));
		};
		xhr.onerror = () => reject(new UploadError('The upload failed: the server could not be reached.'));
		xhr.onabort = () => reject(new UploadError('Upload cancelled.'));
		signal?.addEventListener('abort', () => xhr.abort());
		xhr.send(body);
	});
}

function statusMessage(status: number): string {
	if (status === 413) return `The file is too large; the limit is ${formatBytes(MAX_UPLOAD_BYTES)}.`;
	if (status === 401) return 'Your session has ended; sign in again and retry.';
	if (status === 403) return 'You are not allowed to add documents to this CI.';
	if (status === 404) return 'This CI no longer exists.';
	return `The upload failed (HTTP ${status}); try again.`;
}
