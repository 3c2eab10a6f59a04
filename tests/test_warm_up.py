"""The warm-up after start imports what httpx's first request would import on the GUI thread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh interpreter: one plain httpx request to a server on 127.0.0.1; which modules it imported.
FIRST_REQUEST = r"""
import asyncio, http.server, json, sys, threading
import httpx

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

async def main():
    async with httpx.AsyncClient() as http:
        before = set(sys.modules)
        await http.post(f"http://127.0.0.1:{server.server_port}/", json={})
        return sorted(set(sys.modules) - before)

print(json.dumps(asyncio.run(main())))
"""


def test_the_warm_up_imports_the_modules_a_first_request_needs():
    imported = json.loads(subprocess.run([sys.executable, "-c", FIRST_REQUEST], capture_output=True, text=True,
                                         check=True, timeout=30, cwd=ROOT).stdout)
    from budtender_app.app import FIRST_REQUEST_MODULES

    assert set(FIRST_REQUEST_MODULES) <= set(imported), "a module the warm-up names is not what httpx imports"
    assert "anyio._backends._asyncio" in FIRST_REQUEST_MODULES


def test_after_the_warm_up_a_first_request_imports_almost_nothing():
    warmed = "import asyncio\nfrom budtender_app.app import warm_up\nasyncio.run(warm_up())\n"
    imported = json.loads(subprocess.run([sys.executable, "-c", warmed + FIRST_REQUEST], capture_output=True,
                                         text=True, check=True, timeout=30, cwd=ROOT).stdout)
    assert not [name for name in imported if name.startswith("anyio")], imported


def test_after_the_warm_up_the_first_phone_number_loads_no_country_rules():
    script = (
        "import asyncio, json, sys\n"
        "from budtender_app.app import warm_up\n"
        "from budtender_app.domain.phone import parse_phone\n"
        "asyncio.run(warm_up())\n"
        "before = set(sys.modules)\n"
        "parse_phone('(555) 123-4567')\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    imported = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                         check=True, timeout=30, cwd=ROOT).stdout)
    assert imported == []


def test_the_warm_up_takes_the_first_full_garbage_collection_off_the_first_sale():
    script = (
        "import asyncio, gc, json\n"
        "from budtender_app.app import warm_up\n"
        "before = gc.get_freeze_count()\n"
        "asyncio.run(warm_up())\n"
        "print(json.dumps([before, gc.get_freeze_count(), gc.isenabled()]))\n"
    )
    before, after, enabled = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True,
                                                       text=True, check=True, timeout=30, cwd=ROOT).stdout)
    assert before == 0 and after > 10_000, "start-up's objects are frozen out of later collections"
    assert enabled, "garbage collection still runs for what the sales make"
