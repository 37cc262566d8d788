// The program inside the PTY for the console benchmarks (B3–B6), the same in the Fleetdesk run and in the
// baseline. The terminal is put in raw mode with echo on (`stty raw echo` before this starts), so keystrokes
// are echoed by the kernel's line discipline, as a shell's are. Reading an "F" floods FLOOD_BYTES of text
// (lines of dots, nothing else) and then writes the end marker "#END#". Usage: node consoles-pty.mjs BYTES
const total = Number(process.argv[2] ?? 64 * 2 ** 20);
const line = Buffer.from('.'.repeat(79) + '\n');
const block = Buffer.alloc(64 * 1024);
for (let i = 0; i < block.length; i += line.length) line.copy(block, i);
let flooding = false;

async function flood() {
	flooding = true;
	for (let left = total; left > 0;) {
		const n = Math.min(left, block.length);
		if (!process.stdout.write(n === block.length ? block : block.subarray(0, n)))
			await new Promise((r) => process.stdout.once('drain', r));
		left -= n;
		// Let stdin be read between blocks (the trigger of the next flood may already be waiting).
		await new Promise((r) => setImmediate(r));
	}
	process.stdout.write('#END#\n');
	flooding = false;
}

process.stdin.on('data', (d) => {
	if (!flooding && d.includes(0x46)) void flood();
});
process.stdout.write('#READY#\n');
