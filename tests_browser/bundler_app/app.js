// Bundled by esbuild in tests_browser/test_bundler.py, exactly as docs/BROWSER.md shows: the bare import
// resolves to the package's "browser" export, and assetsURL points at the served dist/browser/ folder.
import { createLedger, inMemoryStorage } from "@onoal/nucleus";

const ledger = await createLedger({ id: "bundled", storage: inMemoryStorage(), assetsURL: "/nucleus/" });
const hash = await ledger.append({ id: "a", stream: "s", payload: { bundled: true } });
await ledger.verify();
window.bundlerResult = { hash, length: await ledger.length(), record: await ledger.get(hash) };
