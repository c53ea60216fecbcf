"""How the browser tests and the browser bench start Chromium: Debian's build (never `playwright install`)
with the flags that keep it offline and quiet on these machines (DESIGN.md, Toolchain facts)."""

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
