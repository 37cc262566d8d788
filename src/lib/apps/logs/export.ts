// Export as a .txt file and print. Printing goes through a hidden frame holding only the lines (as text in a
// <pre>), with its own print stylesheet: the desktop, the toolbars and the window never reach the paper.

/** A file name from the source and the part exported: "syslog-lines-120-180.txt". */
export function exportName(base: string, part: string): string {
	const safe = `${base}-${part}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
	return `${safe || 'log'}.txt`;
}

export function downloadText(name: string, text: string): void {
	const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.style.display = 'none';
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const PRINT_CSS = `
@page { margin: 12mm; }
html, body { margin: 0; background: #fff; color: #000; }
h1 { font: 600 11pt system-ui, sans-serif; margin: 0 0 6pt; }
pre { font: 8.5pt/1.35 'DejaVu Sans Mono', ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
`;

/** Prints `text` under `title`, and nothing else. */
export function printText(title: string, text: string): void {
	const frame = document.createElement('iframe');
	frame.setAttribute('aria-hidden', 'true');
	frame.tabIndex = -1;
	frame.style.cssText = 'position:fixed;right:0;bottom:0;width:0;height:0;border:0;visibility:hidden';
	document.body.append(frame);
	const doc = frame.contentDocument!;
	const style = doc.createElement('style');
	style.textContent = PRINT_CSS;
	doc.head.append(style);
	doc.title = title;
	const h = doc.createElement('h1');
	h.textContent = title;
	const pre = doc.createElement('pre');
	pre.textContent = text;
	doc.body.append(h, pre);
	const win = frame.contentWindow!;
	const done = () => setTimeout(() => frame.remove(), 1000);
	win.addEventListener('afterprint', done, { once: true });
	win.focus();
	win.print();
	// Browsers that do not fire afterprint (or block the dialog) still lose the frame eventually.
	setTimeout(() => frame.isConnected && frame.remove(), 60_000);
}
