import type { Notification } from '$protocol/desktop';
import { trpc } from '$lib/trpc';

export interface Toast {
	key: number;
	title: string;
	body: string;
	level: Notification['level'];
	/** A desktop link to what the toast is about (opens a window). */
	link: string | null;
}

const TOAST_MS = 6000;

/** The notifications this user can see, live, plus the toasts that announce new ones. */
export class NotificationCenter {
	items = $state<Notification[]>([]);
	toasts = $state<Toast[]>([]);
	readonly unread = $derived(this.items.filter((n) => !n.read).length);
	#key = 0;

	async load(): Promise<void> {
		const list = await trpc.desktop.notifications.query();
		// Keep anything that arrived live while the list was loading.
		const ids = list.map((n) => n.id);
		this.items = [...this.items.filter((n) => !ids.includes(n.id)), ...list].sort((a, b) => b.id - a.id);
	}

	receive(n: Notification): void {
		if (this.items.some((i) => i.id === n.id)) return;
		this.items = [n, ...this.items].slice(0, 200);
		this.toast(n.title, n.body, n.level, n.link);
	}

	/** A transient message, for the shell's own news (e.g. "layout not saved") as well as notifications. */
	toast(title: string, body = '', level: Notification['level'] = 'info', link: string | null = null): void {
		const key = ++this.#key;
		this.toasts = [...this.toasts, { key, title, body, level, link }].slice(-5);
		setTimeout(() => this.dismiss(key), level === 'error' ? TOAST_MS * 2 : TOAST_MS);
	}

	dismiss(key: number): void {
		this.toasts = this.toasts.filter((t) => t.key !== key);
	}

	async markAllRead(): Promise<void> {
		if (!this.unread) return;
		await trpc.desktop.markRead.mutate({ ids: 'all' });
		this.items = this.items.map((n) => ({ ...n, read: true }));
	}
}
