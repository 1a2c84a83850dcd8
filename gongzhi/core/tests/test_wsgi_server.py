"""The production HTTP server as deploy/gongzhi-web.service runs it: granian over gongzhi.wsgi."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_granian_serves_the_wsgi_application(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gongzhi.settings.test",
        "GONGZHI_TEST_DB": "sqlite",
        "GONGZHI_VAR_DIR": str(tmp_path),
    }
    granian = str(Path(sys.executable).with_name("granian"))
    command = [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--blocking-threads", "2", "--no-ws", "--log-level", "warning", "gongzhi.wsgi:application"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as answer:
                    status, page = answer.status, answer.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "granian did not answer within 30 s"
                time.sleep(0.3)
        assert status == 200
        assert "<form" in page and 'name="csrfmiddlewaretoken"' in page
    finally:
        server.terminate()
        server.wait(timeout=10)
