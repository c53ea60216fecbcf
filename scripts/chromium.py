"""How the browser tests and the browser bench start Chromium: Debian's build (never `playwright install`,
which downloads a browser), with flags that let it run headless as root in a VM without a GPU (no sandbox, no
GPU) and keep it from making requests of its own (background networking, component updates, sync, first-run
pages, QUIC), so that every request the tests see is one the page made."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
