/** SVG path data for the shell's own icons (24×24, stroke-drawn). */
export const ICONS = {
	grid: 'M3 3h7v7H3zM14 3h7v7h-7zM14 14h7v7h-7zM3 14h7v7H3z',
	bell: 'M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.73 21a2 2 0 0 1-3.46 0',
	minimise: 'M5 12h14',
	maximise: 'M5 5h14v14H5z',
	restore: 'M8 8h11v11H8zM5 16V5h11',
	close: 'M6 6l12 12M18 6L6 18',
	user: 'M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z',
	search: 'M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM21 21l-4.35-4.35',
	layers: 'M12 2 2 7l10 5 10-5-10-5zM2 17l10 5 10-5M2 12l10 5 10-5',
	back: 'M15 18l-6-6 6-6',
	send: 'M22 2 11 13M22 2l-7 20-4-9-9-4 20-7z',
	check: 'M20 6 9 17l-5-5',
	keyboard: 'M2 6h20v12H2zM6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10'
} as const;
